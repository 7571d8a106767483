"""Decision-analysis kernels: AHP, objective weights, threshold scoring, fuzzy comprehensive evaluation."""
