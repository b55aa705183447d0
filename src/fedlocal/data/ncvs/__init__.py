"""NCVS person-interviews: one schema, two sources (restricted file, synthetic panel), calibration targets."""
