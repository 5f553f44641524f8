"""Products, orders and the order import."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, EmailStr, Field
from starlette.datastructures import UploadFile

from balie.api import PREFIX
from balie.api.schemas import In
from balie.auth import Caller, require
from balie.errors import BalieError, InvalidInput
from balie.ids import MAX_SEQ, Id, IdQuery
from balie.orders import actions, queries
from balie.orders.queries import OrderLine
from balie.orders.warranty import MAX_WARRANTY_MONTHS

router = APIRouter(prefix=PREFIX, tags=["orders"])
Agent = Annotated[Caller, Depends(require("agent"))]
Supervisor = Annotated[Caller, Depends(require("supervisor"))]


class UnsupportedMediaType(BalieError):
    status = 415
    code = "unsupported_media_type"
    title = "Unsupported media type"


class ProductCreate(In):
    sku: str = Field(min_length=1, max_length=100)
    name: str = Field(min_length=1, max_length=200)
    warranty_months: int = Field(ge=0, le=MAX_WARRANTY_MONTHS)


class OrderCreate(In):
    reference: str = Field(min_length=1, max_length=100)
    customer_id: Id | None = None
    customer_email: EmailStr | None = None
    customer_name: str | None = Field(None, max_length=200)
    product_sku: str = Field(min_length=1, max_length=100)
    purchase_date: dt.date
    warranty_months: int | None = Field(None, ge=0, le=600)


class ProductOut(BaseModel):
    id: int
    sku: str
    name: str
    warranty_months: int
    created_at: dt.datetime


class OrderOut(BaseModel):
    id: int
    reference: str
    customer_id: int
    product_id: int
    product_sku: str
    product_name: str
    purchase_date: dt.date
    warranty_months: int
    warranty_ends: dt.date
    created_at: dt.datetime

    @classmethod
    def of(cls, line: OrderLine) -> OrderOut:
        return cls.model_validate(line, from_attributes=True)


class OrderPage(BaseModel):
    items: list[OrderOut]
    next_cursor: str | None


class ImportOut(BaseModel):
    orders: int
    customers_created: int
    products_created: int


@router.post("/products", status_code=201)
async def create_product(body: ProductCreate, caller: Agent) -> ProductOut:
    async with caller.writing() as act:
        product = await actions.create_product(
            act, sku=body.sku, name=body.name, warranty_months=body.warranty_months
        )
    return ProductOut.model_validate(product, from_attributes=True)


@router.get("/products")
async def list_products(
    caller: Agent,
    offset: Annotated[int, Query(ge=0, le=MAX_SEQ)] = 0,
    limit: Annotated[int, Query(ge=1, le=queries.MAX_PAGE)] = 50,
) -> list[ProductOut]:
    async with caller.reading() as act:
        rows = await queries.product_page(act.session, offset=offset, limit=limit)
    return [ProductOut.model_validate(p, from_attributes=True) for p in rows]


@router.post("/orders", status_code=201)
async def create_order(body: OrderCreate, caller: Agent) -> OrderOut:
    async with caller.writing() as act:
        order = await actions.create_order(
            act,
            reference=body.reference,
            product_sku=body.product_sku,
            purchase_date=body.purchase_date,
            customer_id=body.customer_id,
            customer_email=None if body.customer_email is None else str(body.customer_email),
            customer_name=body.customer_name,
            warranty_months=body.warranty_months,
        )
        line = await queries.order_line(act.session, order.id)
    return OrderOut.of(line)


@router.get("/orders")
async def list_orders(
    caller: Agent,
    customer_id: IdQuery = None,
    cursor: Annotated[str | None, Query(pattern=r"^[0-9]{1,18}$")] = None,
    limit: Annotated[int, Query(ge=1, le=queries.MAX_PAGE)] = 25,
) -> OrderPage:
    async with caller.reading() as act:
        lines, last = await queries.order_page(
            act.session,
            customer_id=customer_id,
            cursor=None if cursor is None else int(cursor),
            limit=limit,
        )
    return OrderPage(
        items=[OrderOut.of(line) for line in lines],
        next_cursor=None if last is None else str(last),
    )


_IMPORT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            },
        },
    }
}


async def _csv_text(request: Request) -> str:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "multipart/form-data":
        async with request.form() as form:
            upload = form.get("file")
            if not isinstance(upload, UploadFile):
                raise InvalidInput("Send the CSV as a form field named file.", field="file")
            raw = await upload.read()
    elif kind in ("text/csv", "text/plain"):
        raw = await request.body()
    else:
        raise UnsupportedMediaType("Send the orders as text/csv or as a multipart file upload.")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput("The file must be UTF-8 encoded CSV.", field="file") from exc


@router.post("/orders/import", openapi_extra=_IMPORT_BODY)
async def import_orders(request: Request, caller: Supervisor) -> ImportOut:
    """Import an order export (CSV with columns reference, customer_email, customer_name,
    product_sku, product_name, purchase_date, warranty_months). All or nothing: with any
    bad row nothing is imported and the problem lists each row number and reason."""
    content = await _csv_text(request)
    async with caller.writing() as act:
        result = await actions.import_orders(act, content=content)
    return ImportOut(**result.__dict__)
