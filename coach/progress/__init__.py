"""Progress over weeks: flexibility per leg, the routine, trends, the clinician report."""
