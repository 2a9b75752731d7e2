"""Scripts that run on compute nodes: the stack sampler and the network probe.

Standard library only (a test checks it): they are copied to a directory the nodes share and
run with the workers' own python, which may lack everything hpctui depends on.
"""
