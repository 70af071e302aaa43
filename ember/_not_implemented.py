"""The torch names ember does not implement, each with the reason: the one table of them.

Each name exists in ember so that a program reaching for it stops with a NotImplementedError that names it and
says why (never an AttributeError, never a stub that returns something): a Tensor method or torch function
raises when called, a class when instantiated, a submodule when one of its attributes is used (so `import
torch.fx` still works for a program that only imports it), and a value (a dtype, a qscheme) when it is read.
tests/test_torch_completeness.py checks this table against torch's own dir(): every public name of torch.Tensor and
torch is implemented or listed here."""


def _group(reason, names):
    return dict.fromkeys(names.split(), reason)


_SPARSE_COMPRESSED = ("ember's sparse tensors are COO only (ember.sparse); the compressed layouts (CSR, CSC, BSR, "
                      "BSC) are not implemented")
_QUANTIZED = "ember has no quantized tensors or quantized kernels (torch.ao.quantization)"
_JIT = "ember has no TorchScript compiler or IR (torch.jit.script/trace return the Python function itself)"
_CUDA_KERNELS = "a binding of one vendor's kernel library (cuDNN, MIOpen, MKL-DNN, FBGEMM) that ember does not have"
_SYNC_BN = "an internal kernel of torch's SyncBatchNorm on CUDA"
_INTERNAL = "an internal hook of torch's C++ runtime, not a user API"
_DYNAMO = "an internal of torch.compile's symbolic shapes (ember.compile does not trace symbolically)"
_NO_DTYPE = "ember has no such dtype: NumPy, which holds ember's data, has no counterpart of it"

TENSOR = {
    **_group(_SPARSE_COMPRESSED, "to_sparse_csr to_sparse_csc to_sparse_bsr to_sparse_bsc crow_indices col_indices "
                                 "ccol_indices row_indices"),
    **_group("ember's sparse COO tensors are dense-backed: they cannot be resized in place",
             "sparse_resize_ sparse_resize_and_clear_ resize_as_sparse_"),
    **_group(_QUANTIZED, "int_repr dequantize q_scale q_zero_point q_per_channel_scales q_per_channel_zero_points "
                         "q_per_channel_axis qscheme"),
    "chalf": "ember has no half-precision complex dtype (torch.complex32); use .cfloat()",
    "hash_tensor": "its result is a uint64 tensor and ember has no uint64 dtype",
    "index": "first-class dimensions (functorch.dim) are not implemented",
    "is_inference": "ember's inference_mode is no_grad: the tensors made in it carry no inference flag",
    "slice_inverse": "an internal op of torch's functionalization pass",
    "to_mkldnn": "ember has no MKL-DNN layout",
    "to_padded_tensor": "ember has no nested tensors (torch.nested)",
}

TORCH_FUNCTIONS = {
    **_group(_SPARSE_COMPRESSED, "sparse_csr_tensor sparse_csc_tensor sparse_bsr_tensor sparse_bsc_tensor "
                                 "sparse_compressed_tensor crow_indices_copy col_indices_copy ccol_indices_copy "
                                 "row_indices_copy"),
    **_group("sparse-result products of torch's legacy sparse API (use torch.sparse.mm)",
             "hsmm hspmm dsmm saddmm"),
    "resize_as_sparse_": "ember's sparse COO tensors are dense-backed: they cannot be resized in place",
    **_group(_QUANTIZED, "int_repr dequantize q_scale q_zero_point q_per_channel_scales q_per_channel_zero_points "
                         "q_per_channel_axis quantize_per_channel quantize_per_tensor quantize_per_tensor_dynamic "
                         "quantized_batch_norm quantized_gru quantized_gru_cell quantized_lstm quantized_lstm_cell "
                         "quantized_max_pool1d quantized_max_pool2d quantized_max_pool3d quantized_rnn_relu_cell "
                         "quantized_rnn_tanh_cell empty_quantized fake_quantize_per_channel_affine "
                         "fake_quantize_per_tensor_affine fused_moving_avg_obs_fake_quant choose_qparams_optimized"),
    **_group(_CUDA_KERNELS, "cudnn_affine_grid_generator cudnn_batch_norm cudnn_convolution cudnn_convolution_add_relu "
                            "cudnn_convolution_relu cudnn_convolution_transpose cudnn_grid_sampler cudnn_is_acceptable "
                            "miopen_batch_norm miopen_convolution miopen_convolution_add_relu miopen_convolution_relu "
                            "miopen_convolution_transpose miopen_ctc_loss miopen_depthwise_convolution miopen_rnn "
                            "mkldnn_adaptive_avg_pool2d mkldnn_convolution mkldnn_linear_backward_weights "
                            "mkldnn_max_pool2d mkldnn_max_pool3d mkldnn_rnn_layer fbgemm_linear_fp16_weight "
                            "fbgemm_linear_fp16_weight_fp32_activation fbgemm_linear_int8_weight "
                            "fbgemm_linear_int8_weight_fp32_activation fbgemm_linear_quantize_weight "
                            "fbgemm_pack_gemm_matrix_fp16 fbgemm_pack_quantized_matrix"),
    **_group(_SYNC_BN, "batch_norm_backward_elemt batch_norm_backward_reduce batch_norm_elemt batch_norm_gather_stats "
                       "batch_norm_gather_stats_with_counts batch_norm_stats batch_norm_update_stats"),
    **_group(_JIT, "import_ir_module import_ir_module_from_buffer parse_ir parse_schema parse_type_comment "
                   "merge_type_from_type_comment unify_type_list"),
    **_group(_DYNAMO, "sym_constrain_range sym_constrain_range_for_size sym_fresh_size"),
    **_group(_INTERNAL, "prepare_multiprocessing_environment profiler_allow_cudagraph_cupti_lazy_reinit_cuda12 "
                        "get_file_path classproperty thread_safe_generator init_num_threads"),
    "compiled_with_cxx11_abi": "ember is pure Python: it has no C++ ABI and loads no C++ extensions",
    "hash_tensor": "its result is a uint64 tensor and ember has no uint64 dtype",
    "slice_inverse": "an internal op of torch's functionalization pass",
    "segment_reduce": "not implemented (a prototype op of torch)",
    "lobpcg": "not implemented (use torch.linalg.eigh for the extreme eigenpairs of a symmetric matrix)",
    **_group("ember's autocast knows the CPU and CUDA only", "get_autocast_ipu_dtype get_autocast_xla_dtype "
             "is_autocast_ipu_enabled is_autocast_xla_enabled set_autocast_ipu_dtype set_autocast_ipu_enabled "
             "set_autocast_xla_dtype set_autocast_xla_enabled"),
    "is_inference": "ember's inference_mode is no_grad: the tensors made in it carry no inference flag",
    "embedding_bag": "ATen's embedding_bag returns its internal bookkeeping too; use nn.functional.embedding_bag",
    "native_norm": "a kernel torch has for sparse tensors only; use torch.linalg.vector_norm",
    **_group("the whole-sequence functional RNNs take ATen's flat weight lists; use nn.RNN/nn.LSTM/nn.GRU (or the "
             "torch.*_cell functions)", "lstm gru rnn_tanh rnn_relu"),
}

TORCH_CLASSES = {
    **_group(_JIT, "AliasDb AnyType Argument ArgumentSpec AwaitType Block BoolType CallStack ClassType Code "
                   "CompilationUnit CompleteArgumentSpec ComplexType ConcreteModuleType ConcreteModuleTypeBuilder "
                   "DeepCopyMemoTable DeviceObjType DictType EnumType ErrorReport ExecutionPlan FileCheck FloatType "
                   "FunctionSchema FutureType Gradient Graph GraphExecutorState InferredType IntType InterfaceType "
                   "JITException ListType LiteScriptModule ModuleDict NoneType NumberType OptionalType ParameterDict "
                   "BufferDict PyObjectType RRefType ScriptClass ScriptClassFunction ScriptDict ScriptDictIterator "
                   "ScriptDictKeyIterator ScriptFunction ScriptList ScriptListIterator ScriptMethod ScriptModule "
                   "ScriptModuleSerializer ScriptObject ScriptObjectProperty StaticModule StreamObjType StringType "
                   "TensorType TupleType Type UnionType Use Value Node IODescriptor TracingState Capsule "
                   "AggregationType"),
    **_group(_INTERNAL, "BenchmarkConfig BenchmarkExecutionStats ThroughputBenchmark DispatchKey DispatchKeySet "
                        "ExcludeDispatchKeyGuard DisableTorchFunction DisableTorchFunctionSubclass Tag OperatorInfo "
                        "LockingLogger LoggerBase NoopLogger FatalError PyTorchFileReader PyTorchFileWriter "
                        "DeserializationStorageContext SerializationStorageContext StorageBase"),
    **_group(_DYNAMO, "SymBool SymBoolType SymFloat SymInt SymIntType"),
    **_group(_QUANTIZED, "QInt32Storage QInt8Storage QUInt2x4Storage QUInt4x2Storage QUInt8Storage qscheme"),
    "Stream": "device-generic streams are not implemented (use ember.cuda.Stream)",
    "Event": "device-generic events are not implemented (use ember.cuda.Event)",
    "Future": "torch.futures is not implemented (ember.jit.fork returns an already completed future)",
}

TORCH_MODULES = {
    "ao": _QUANTIZED, "quantization": _QUANTIZED,
    "fx": "torch.fx (graph capture and transformation) is not implemented",
    "export": "torch.export (whole-program capture) is not implemented",
    "nested": "ember has no nested (jagged) tensors",
    "masked": "masked tensors (torch.masked) are not implemented",
    "package": "torch.package (model packaging with code) is not implemented: ember runs no code read from a file",
    "library": "custom operator registration (torch.library) is not implemented",
    "overrides": "__torch_function__ overrides are not implemented",
    "classes": _JIT, "cpp": "ember has no C++ frontend",
    "futures": "torch.futures is not implemented (ember.jit.fork returns an already completed future)",
    "monitor": "torch.monitor (event counters of the C++ runtime) is not implemented",
    "quasirandom": "quasirandom sequences (SobolEngine) are not implemented",
    "profiler": "the profiler is not implemented (time code with time.perf_counter)",
    "windows": "not implemented",
}

TORCH_VALUES = {
    **_group(_NO_DTYPE, "bits16 bits1x8 bits2x4 bits4x2 bits8 bit float4_e2m1fn_x2 float8_e4m3fn float8_e4m3fnuz "
                        "float8_e5m2 float8_e5m2fnuz float8_e8m0fnu int1 int2 int3 int4 int5 int6 int7 uint1 uint2 "
                        "uint3 uint4 uint5 uint6 uint7 uint16 uint32 uint64"),
    **_group("ember has no half-precision complex dtype (torch.complex32); use ember.complex64", "complex32 chalf"),
    **_group(_QUANTIZED, "qint8 qint32 quint8 quint2x4 quint4x2 per_channel_affine per_channel_affine_float_qparams "
                         "per_channel_symmetric per_tensor_affine per_tensor_symmetric"),
    **_group(_JIT, "AVG SUM"),
}


def error(qualname, reason):
    return NotImplementedError(f"{qualname} is not implemented in ember: {reason}")


def _function(qualname, reason):
    def not_implemented(*args, **kwargs):
        raise error(qualname, reason)
    not_implemented.__name__ = qualname.rpartition(".")[2]
    not_implemented.__qualname__ = qualname
    not_implemented.__ember_not_implemented__ = reason
    return not_implemented


def _class(qualname, reason):
    def __new__(cls, *args, **kwargs):
        raise error(qualname, reason)
    name = qualname.rpartition(".")[2]
    return type(name, (), {"__new__": __new__, "__ember_not_implemented__": reason, "__module__": "ember",
                           "__doc__": f"Not implemented in ember: {reason}"})


def install(tensor_cls, namespace, lazy=()):
    """Put the stubs on Tensor and in the ember namespace (never over something ember implements, eagerly or in
    one of the `lazy` names its __getattr__ loads)."""
    for name, reason in TENSOR.items():
        if name not in tensor_cls.__dict__:
            setattr(tensor_cls, name, _function(f"Tensor.{name}", reason))
    for table, make in ((TORCH_FUNCTIONS, _function), (TORCH_CLASSES, _class)):
        for name, reason in table.items():
            if name not in namespace and name not in lazy:
                namespace[name] = make(f"torch.{name}", reason)


def missing_module(name):
    """torch.<name> for a submodule in TORCH_MODULES: importable, raising NotImplementedError when used."""
    from ._torch_alias import MissingModule
    return MissingModule(f"torch.{name}", TORCH_MODULES[name])


def refuse_value(name):
    raise error(f"torch.{name}", TORCH_VALUES[name])
