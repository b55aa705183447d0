"""NCVS person-interviews: one schema (with the 6-month reference period) and the restricted-file loader.

The other source, the simulated panel, is the package fedlocal.synthetic.
"""
