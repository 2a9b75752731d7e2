"""Standard-library-only scripts that run on compute nodes (stack sampler, network probe)."""
