"""orders_app's own extensions (shared_ui holds the ones every app shares)."""

from flask_sqlalchemy import SQLAlchemy

from orders_app.clients.inventory import InventoryClient
from orders_app.clients.stripe_client import StripeGateway
from shared_ui.users_client import UsersClient

db = SQLAlchemy()
users = UsersClient()
inventory = InventoryClient()
stripe_gateway = StripeGateway()
