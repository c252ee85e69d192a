"""Evidence and documents: files on cases, messages, requests, referrals and victims
(docs/evidence.md)."""
