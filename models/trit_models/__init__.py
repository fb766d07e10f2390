"""trit's reference trainer: the MatMul-free ternary LM and the quantized-columns classifier.

PyTorch >= 1.13 (Debian's python3-torch on the CI machine); CUDA when present, CPU otherwise.
"""
