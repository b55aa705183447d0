"""Monte Carlo of what the design can detect: replications on a parallel engine, and their summary."""
