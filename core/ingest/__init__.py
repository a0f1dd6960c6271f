"""Reading a cohort file: format, headers, mapping, units, validation, classes, identifiers → Cohort."""
