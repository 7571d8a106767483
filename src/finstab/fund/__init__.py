"""Stability-fund sizing: Merton contingent claims, sector balance sheets, lognormal VaR funds,
Monte Carlo, sizing over provinces and years, and the financing plan."""
