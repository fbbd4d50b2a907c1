"""neuro-onc-node training toolchain (Debian python3-torch 1.13 + python3-onnx 1.12, CPU).

The node never trains; this package trains the reference model packages under models/ from the synthetic
training-set export (`neuro-onc-node synth --training-set`).
"""
