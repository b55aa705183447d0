"""Analysis inputs built from the registered raw files: counties, policies, covariates, NCVS, UCR."""
