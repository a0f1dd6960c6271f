"""The shared vocabulary of the pipeline: cohort schema, settings, filters, results."""
