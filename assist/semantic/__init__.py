"""The metric catalog: metrics and dimensions over connector tables, compiled to SQL."""
