"""Reports: charts, self-contained HTML, the demo report."""
