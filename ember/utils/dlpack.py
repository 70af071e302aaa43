"""torch.utils.dlpack: tensors to and from DLPack capsules, sharing memory (ember.from_dlpack / ember.to_dlpack)."""

import enum

from ..ops.misc import from_dlpack, to_dlpack  # noqa: F401


class DLDeviceType(enum.IntEnum):
    """DLPack's device codes (__dlpack_device__ gives one)."""

    kDLCPU = 1
    kDLCUDA = 2
    kDLCUDAHost = 3
    kDLOpenCL = 4
    kDLVulkan = 7
    kDLMetal = 8
    kDLVPI = 9
    kDLROCM = 10
    kDLROCMHost = 11
    kDLExtDev = 12
    kDLCUDAManaged = 13
    kDLOneAPI = 14
    kDLWebGPU = 15
    kDLHexagon = 16
    kDLMAIA = 17
