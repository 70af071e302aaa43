"""rnn ops (forward and backward together); part of nn.functional."""
__all__ = []
