"""A tiny self-written environment for the reinforcement-learning programs (no gym): walk a corridor
to the goal on the right; reward 1 at the goal, -0.01 a step. NumPy only, seeded."""

import numpy as np


class Corridor:
    def __init__(self, length=8, max_steps=30, seed=0):
        self.length, self.max_steps = length, max_steps
        self.rng = np.random.default_rng(seed)

    def reset(self):
        self.pos = int(self.rng.integers(0, self.length // 2))
        self.steps = 0
        return self._obs()

    def _obs(self):
        obs = np.zeros(self.length, np.float32)
        obs[self.pos] = 1.0
        return obs

    def step(self, action):
        """action 0 = left, 1 = right; returns (observation, reward, done)."""
        self.pos = max(0, self.pos - 1) if action == 0 else self.pos + 1
        self.steps += 1
        if self.pos >= self.length - 1:
            return self._obs_goal(), 1.0, True
        return self._obs(), -0.01, self.steps >= self.max_steps

    def _obs_goal(self):
        self.pos = self.length - 1
        return self._obs()
