"""What leaves the pipeline: figures, exports (CSV/XLSX/DOCX/HTML/ZIP), methods text."""
