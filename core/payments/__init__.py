"""Money leaving the platform: the payments gateway (offline or Stripe)."""
