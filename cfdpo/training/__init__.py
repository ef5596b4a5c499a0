"""Training: model loading (unsloth / bitsandbytes 4-bit / plain), preference losses, the DPO/DPOP trainer."""
