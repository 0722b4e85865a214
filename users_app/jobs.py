"""users_app's periodic work, run by the jobs process (shopctl/jobs.py)."""

from users_app import mail, throttle

prune_attempts = throttle.prune

PERIODIC = [("users.prune_attempts", 600, prune_attempts), ("users.deliver_mail", 2, mail.deliver)]
