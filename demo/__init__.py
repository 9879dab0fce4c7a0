"""The demo deployment (make run): a fictional country, its partners and 90 days of reports.

On top of every other app: it builds its world through their services, as a user would.
"""
