"""torch.nn.functional: re-exports the op families that define them (ember/ops/*)."""

from ..ops.activation import *  # noqa: F401,F403
from ..ops.loss import *  # noqa: F401,F403
from ..ops.linear import *  # noqa: F401,F403
from ..ops.dropout import *  # noqa: F401,F403
from ..ops.sparse import *  # noqa: F401,F403
from ..ops.distance import *  # noqa: F401,F403
from ..ops.conv import *  # noqa: F401,F403
from ..ops.pool import *  # noqa: F401,F403
from ..ops.padding import *  # noqa: F401,F403
from ..ops.upsampling import *  # noqa: F401,F403
from ..ops.norm import *  # noqa: F401,F403
from ..ops.rnn import *  # noqa: F401,F403
from ..ops.attention import *  # noqa: F401,F403
from ..ops.sampling import *  # noqa: F401,F403


def assert_int_or_pair(arg, arg_name, message):
    if not (isinstance(arg, int) or len(arg) == 2):
        raise AssertionError(message.format(arg_name))
