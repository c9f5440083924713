"""Enrolment of people in activities: capacity, waiting list, quotas per unit, personal QR tokens."""
