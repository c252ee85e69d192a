"""Victims, consent, referrals and reintegration follow-up."""
