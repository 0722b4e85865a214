"""orders_app's periodic work, run by the `jobs` process (shopctl/jobs.py).

Both are safe when two copies run at once: see ordering.sweep and payments.reconcile.
"""

from orders_app import ordering, outbox, payments
from shared_ui.config import env_int

SWEEP_SECONDS = 15
#: how often Stripe is asked about payments whose webhook may have been missed
RECONCILE_SECONDS = env_int("ORDERS_RECONCILE_SECONDS", 60)

PERIODIC = [
    ("orders.sweep", SWEEP_SECONDS, ordering.sweep),
    ("orders.reconcile_payments", RECONCILE_SECONDS, payments.reconcile),
    ("orders.deliver_mail", 2, outbox.deliver),
]
