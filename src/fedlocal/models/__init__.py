"""Victimization models: between-within logit, conditional logit, event time and staggered-adoption checks."""
