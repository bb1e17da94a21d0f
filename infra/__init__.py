"""CDK app that provisions the notebook, roles, buckets, key and image repository (knows no training code)."""
