"""Shipped defaults of the financing plan, shared by the CLI, the web, the demo and the Python API."""

#: share of the system's unexpected loss (VaR fund) that the stability fund bears
COVERAGE = 0.01
#: loss scenarios simulated for the reserve path
SIMS = 2_000
