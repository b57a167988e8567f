"""Public pages (no login): home, the three lists (三张清单), the directory and agency
profiles (RULES.md §1 "Three public lists"). Every read goes through market/queries.py."""

from flask import current_app, render_template, request, url_for
from flask_babel import gettext as _

from core.errors import render_error
from credit.forms.subjects import level_labels
from market import queries
from market.forms.catalogue import pricing_labels
from market.models import Pricing
from market.rules import EXPIRY_WARNING_DAYS, local_today
from market.views import bp


def _int_arg(name: str) -> int | None:
    return request.args.get(name, type=int) or None


def home():
    return render_template("home.html", counts=queries.marketplace_counts(),
                           level_counts=queries.level_counts(),
                           newest=queries.newest_agencies())


@bp.get("/items")
def service_items():
    text = request.args.get("q", "")
    category = request.args.get("category", "")
    department_id = _int_arg("department")
    items = queries.search_service_items(text, category, department_id)
    return render_template("market/items.html", items=items, q=text, category=category,
                           department_id=department_id,
                           categories=queries.service_item_categories(),
                           departments=queries.item_departments(),
                           pricing_labels=pricing_labels())


@bp.get("/items/<code>")
def service_item(code: str):
    item = queries.public_service_item(code)
    return render_template("market/item.html", item=item,
                           offers=queries.offers_of_item(item.id),
                           pricing_labels=pricing_labels())


@bp.get("/fees")
def fees():
    text = request.args.get("q", "")
    pricing = request.args.get("pricing", "")
    pricing = pricing if pricing in {p.value for p in Pricing} else ""
    items = queries.search_service_items(text, pricing=Pricing(pricing) if pricing else None)
    return render_template("market/fees.html", items=items, q=text, pricing=pricing,
                           offer_counts=queries.active_offer_counts(),
                           pricing_labels=pricing_labels())


@bp.get("/agencies")
def directory():
    filters = queries.DirectoryFilters(
        q=request.args.get("q", ""),
        service_item_id=_int_arg("item"),
        region_code=request.args.get("region", ""),
        qualification_type_id=_int_arg("qualification"),
        level=request.args.get("level", ""),
        sort=request.args.get("sort", "level"))
    page = queries.directory_page(filters, page=request.args.get("page", 1, type=int),
                                  per_page=current_app.config["DIRECTORY_PAGE_SIZE"])
    return render_template("market/directory.html", page=page, filters=filters,
                           credit=queries.directory_credit(page.items),
                           level_labels=level_labels(),
                           items=queries.active_service_items(), regions=queries.regions(),
                           qualification_types=queries.qualification_types(),
                           today=local_today())


@bp.get("/agencies/<int:agency_id>")
def agency_profile(agency_id: int):
    try:
        agency = queries.public_agency(agency_id)
    except queries.AgencyDelisted as delisted:  # exit (RULES.md §2): say so, show the list
        return render_error(404, str(delisted), link=(
            url_for("credit.delisted_list"), _("See the public list of delisted agencies")))
    return render_template("market/agency_profile.html", agency=agency,
                           credit_subject=queries.agency_credit(agency),
                           offers=queries.agency_offers(agency.id),
                           qualifications=queries.agency_qualifications(agency),
                           expiring_days=EXPIRY_WARNING_DAYS)
