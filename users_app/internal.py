"""Internal routes for the other apps (service token only; nginx answers 404 from outside)."""

from flask import Blueprint, jsonify

from shared_ui.auth import require_service_token
from shared_ui.extensions import csrf
from users_app.extensions import db
from users_app.models import User

bp = Blueprint("internal", __name__, url_prefix="/users/internal")
csrf.exempt(bp)
bp.before_request(require_service_token)


@bp.get("/users/<int:user_id>")
def user_record(user_id: int):
    return jsonify(db.get_or_404(User, user_id).record())
