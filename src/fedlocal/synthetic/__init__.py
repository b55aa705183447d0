"""The simulated NCVS: a source of person-interviews like the restricted file, labelled synthetic everywhere.

`panel` draws the sample (counties, rotating addresses, households, persons, interviews and weights);
exposure is then linked by fedlocal.exposure.interviews, as for the restricted file; `outcomes` draws
victimization with planted policy effects; `calibration` holds the BJS targets both steps aim at.
"""
