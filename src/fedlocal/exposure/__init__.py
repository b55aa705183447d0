"""Exposure: which policies each unit of observation lived under.

`interviews` links an NCVS interview's 6-month reference period to its county's policy spells (both NCVS
sources go through it); `metro` aggregates county policies to metropolitan areas for the police-crime
complement.
"""
