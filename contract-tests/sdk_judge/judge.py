"""The official TastyTrade SDK (tastyware `tastytrade`, pinned in .ci/setup-python) judges the
fake TastyTrade server: every answer ttai's live adapter received is read again by the SDK's own
models, the SDK's own calls run against the fake, and the SDK streams every DXLink event type ttai
uses. Any model that does not validate, any event the SDK skips (it drops events that fail its
models, logging "Failed to parse event"), any request of ttai's this judge has no SDK model for,
or an empty answer where the fake serves data fails the run.

Usage: judge.py PLAN.json, where the plan (written by contract-tests/tests/sdk_judge.rs) holds the
fake's URL and credentials, the GET requests ttai made, and ttai's DXLink subscriptions. Prints one
JSON object (the counts) on the last line of stdout; exit code 0 when the SDK accepted everything.

To teach the judge a new endpoint, add one line to ENDPOINTS: the path ttai requests and the SDK
model that reads it. Orders are POSTs, which the judge does not send twice blindly: every order
body ttai sent is read by the SDK's own `LimitOrder` model (and must come out the same), sent
again to the dry run and its answer read by `PlacedOrderResponse`; the SDK's own order calls
(dry run, the preflight refusal, place, live orders, history, one order, cancel) run against the
fake.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Callable

import tastytrade
import tastytrade.session
from tastytrade import Account, DXLinkStreamer, Session
from tastytrade.account import AccountBalance, CurrentPosition, NetLiqOhlc, Transaction
from tastytrade.dxfeed import Candle, Greeks, Quote, Summary, Trade
from tastytrade.instruments import Equity, Future, NestedFutureOptionChain, NestedOptionChain
from tastytrade.market_data import MarketData, get_market_data_by_type
from tastytrade.market_sessions import (
    ExchangeType,
    MarketCalendar,
    MarketSession,
    get_market_holidays,
    get_market_sessions,
)
from tastytrade.metrics import MarketMetricInfo, get_market_metrics
from tastytrade.order import (
    BuyingPowerEffect,
    InstrumentType,
    Leg,
    LimitOrder,
    OrderAction,
    OrderStatus,
    OrderTimeInForce,
    PlacedOrder,
    PlacedOrderResponse,
    UnplacedOrder,
)
from tastytrade.search import SymbolData, symbol_search
from tastytrade.watchlists import PrivateWatchlist
from tastytrade.utils import TastytradeData, TastytradeError

PINNED = "13.2.3"


class QuoteToken(TastytradeData):
    """What the SDK's DXLinkStreamer reads from /api-quote-tokens (it indexes the dict)."""

    token: str
    dxlink_url: str
    level: str


@dataclass(frozen=True)
class Endpoint:
    """One REST endpoint ttai uses and the SDK model its answer must satisfy."""

    path: str  # a regular expression over the request path (no query)
    shape: str  # "items": data.items[] are models; "object": data is one
    model: type
    read: Callable[[dict[str, Any]], Any] | None = None  # how the SDK builds the model, if not Model(**x)


# The one table: every endpoint ttai's live adapter calls, with the SDK model that reads it.
ENDPOINTS: list[Endpoint] = [
    Endpoint(r"/customers/me/accounts", "items", Account, lambda item: Account(**item["account"])),
    Endpoint(r"/accounts/[^/]+/balances(/USD)?", "object", AccountBalance),
    Endpoint(r"/accounts/[^/]+/positions", "items", CurrentPosition),
    Endpoint(r"/market-data/by-type", "items", MarketData),
    Endpoint(r"/option-chains/[^/]+/nested", "items", NestedOptionChain),
    Endpoint(r"/futures-option-chains/[^/]+/nested", "object", NestedFutureOptionChain),
    Endpoint(r"/market-metrics", "items", MarketMetricInfo),
    Endpoint(r"/symbols/search/[^/]+", "items", SymbolData),
    Endpoint(r"/instruments/equities", "items", Equity),
    Endpoint(r"/instruments/futures", "items", Future),
    Endpoint(r"/api-quote-tokens", "object", QuoteToken),
    Endpoint(r"/accounts/[^/]+/transactions", "items", Transaction),
    Endpoint(r"/accounts/[^/]+/net-liq/history", "items", NetLiqOhlc),
    Endpoint(r"/watchlists", "items", PrivateWatchlist),
    Endpoint(r"/market-time/sessions/current", "items", MarketSession),
    Endpoint(r"/market-time/equities/holidays", "object", MarketCalendar),
    Endpoint(r"/accounts/[^/]+/orders/live", "items", PlacedOrder),
    Endpoint(r"/accounts/[^/]+/orders", "items", PlacedOrder),
    Endpoint(r"/accounts/[^/]+/orders/[0-9]+", "object", PlacedOrder),
]

# The DXLink event types ttai subscribes to, by name.
EVENTS = {"Quote": Quote, "Trade": Trade, "Summary": Summary, "Greeks": Greeks, "Candle": Candle}


class Verdict:
    def __init__(self) -> None:
        self.failures: list[str] = []
        self.models: dict[str, int] = {}
        self.endpoints: set[str] = set()
        self.events: dict[str, int] = {}

    def fail(self, what: str) -> None:
        self.failures.append(what)

    def saw(self, model: type, n: int = 1) -> None:
        self.models[model.__name__] = self.models.get(model.__name__, 0) + n


class SkippedEvents(logging.Handler):
    """Collects the SDK's 'Failed to parse event' (and any warning or error) log records."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.skipped: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith("Failed to parse event") or record.levelno >= logging.ERROR:
            self.skipped.append(message[:300])


def endpoint_of(path: str) -> Endpoint | None:
    return next((e for e in ENDPOINTS if re.fullmatch(e.path, path)), None)


async def judge_recorded(session: Session, requests: list[str], verdict: Verdict) -> None:
    """Every GET ttai made, fetched again through the SDK's session and read by its model."""
    for target in requests:
        path = target.split("?", 1)[0]
        endpoint = endpoint_of(path)
        if endpoint is None:
            verdict.fail(f"ttai requests {path}, which the judge has no SDK model for (add it to ENDPOINTS)")
            continue
        verdict.endpoints.add(endpoint.path)
        try:
            data = await session._get(target)
        except TastytradeError as error:
            verdict.fail(f"{target}: the SDK refused the answer: {error}")
            continue
        read = endpoint.read or (lambda x, m=endpoint.model: m(**x))
        try:
            if endpoint.shape == "items":
                items = data["items"]
                for item in items:
                    read(item)
                verdict.saw(endpoint.model, len(items))
            else:
                read(data)
                verdict.saw(endpoint.model)
        except Exception as error:  # pydantic's ValidationError and KeyError alike
            verdict.fail(f"{target}: {endpoint.model.__name__} does not validate: {error}")


async def judge_sdk_calls(session: Session, plan: dict[str, Any], verdict: Verdict) -> None:
    """The SDK's own requests (its paths and query forms) against the fake."""

    async def call(name: str, make: Callable[[], Any], model: type, at_least: int = 1) -> Any:
        try:
            result = await make()
        except Exception as error:
            verdict.fail(f"SDK {name}: {error}")
            return None
        found = result if isinstance(result, list) else [result]
        if len(found) < at_least:
            verdict.fail(f"SDK {name}: {len(found)} answers, expected at least {at_least}")
        verdict.saw(model, len(found))
        return result

    accounts = await call("Account.get", lambda: Account.get(session), Account)
    if accounts:
        account = accounts[0]
        await call("get_balances", lambda: account.get_balances(session), AccountBalance)
        await call("get_positions", lambda: account.get_positions(session, include_marks=True), CurrentPosition)
        # Every page (page_offset=None makes the SDK follow `pagination`), and one filtered page.
        history = await call(
            "get_history", lambda: account.get_history(session, per_page=3, page_offset=None), Transaction, at_least=4
        )
        await call(
            "get_history(types, underlying)",
            lambda: account.get_history(session, types=["Trade"], underlying_symbol="SPY"),
            Transaction,
        )
        if history and not any(t.value < 0 for t in history):
            verdict.fail("get_history: no debit read as negative (value-effect ignored?)")
        await call(
            "get_net_liquidating_value_history",
            lambda: account.get_net_liquidating_value_history(session, time_back="1m"),
            NetLiqOhlc,
        )
    await call("PrivateWatchlist.get", lambda: PrivateWatchlist.get(session), PrivateWatchlist)
    await call("get_market_sessions", lambda: get_market_sessions(session, [ExchangeType.NYSE]), MarketSession)
    await call("get_market_holidays", lambda: get_market_holidays(session), MarketCalendar)
    symbols = plan["symbols"]
    await call(
        "get_market_data_by_type",
        lambda: get_market_data_by_type(
            session,
            equities=symbols["equities"],
            indices=symbols["indices"] or None,
            options=symbols["equity_options"],
            futures=symbols["futures"],
            future_options=symbols["future_options"],
        ),
        MarketData,
        at_least=len(symbols["equities"]) + len(symbols["equity_options"]) + len(symbols["futures"]),
    )
    for underlying in symbols["chains"]:
        await call(f"NestedOptionChain.get({underlying})", lambda u=underlying: NestedOptionChain.get(session, u), NestedOptionChain)
    for product in symbols["future_chains"]:
        await call(
            f"NestedFutureOptionChain.get({product})",
            lambda p=product: NestedFutureOptionChain.get(session, p),
            NestedFutureOptionChain,
        )
        await call(
            f"Future.get(product_codes=[{product}])",
            lambda p=product: Future.get(session, product_codes=[p.lstrip("/")]),
            Future,
        )
    await call("get_market_metrics", lambda: get_market_metrics(session, symbols["metrics"]), MarketMetricInfo, at_least=len(symbols["metrics"]))
    await call("symbol_search", lambda: symbol_search(session, symbols["search"]), SymbolData)
    await call("Equity.get", lambda: Equity.get(session, symbols["equities"]), Equity, at_least=len(symbols["equities"]))


def same_order(ttai: dict[str, Any], sdk: dict[str, Any]) -> list[str]:
    """The fields of ttai's order body the SDK's reading of it does not give back the same."""
    keys = ["time-in-force", "order-type", "price-effect", "external-identifier"]
    differ = [k for k in keys if ttai.get(k) != sdk.get(k)]
    if Decimal(str(ttai.get("price"))) != Decimal(str(sdk.get("price"))):
        differ.append("price")
    legs = lambda body: [(l["instrument-type"], l["symbol"], l["action"], int(l["quantity"])) for l in body["legs"]]
    if legs(ttai) != legs(sdk):
        differ.append("legs")
    return differ


async def judge_orders(session: Session, plan: dict[str, Any], verdict: Verdict) -> None:
    """ttai's order bodies read by the SDK, and the SDK's own order calls against the fake."""
    accounts = await Account.get(session)
    account = accounts[0]
    url = f"/accounts/{account.account_number}/orders/dry-run"
    for body in plan["order_bodies"]:
        try:
            order = LimitOrder.model_validate(body)
            if body.get("price-effect") == "Debit":
                order.price = -abs(order.price)
            again = json.loads(order.model_dump_json(exclude_none=True, by_alias=True))
        except Exception as error:
            verdict.fail(f"the SDK's LimitOrder does not read ttai's order body {body}: {error}")
            continue
        differ = same_order(body, again)
        if differ:
            verdict.fail(f"the SDK reads ttai's order body differently ({differ}): {body} vs {again}")
        verdict.saw(LimitOrder)
        # Read as the SDK reads a dry run: PlacedOrderResponse when accepted; when the preflight
        # refuses it, the API's error and the buying-power effect in the same answer (the
        # SDK's get_order_buying_power_effect reads `data` whatever the status).
        try:
            await session.refresh()
            response = await session._client.post(url, data=json.dumps(body))
            answer = response.json()
            if response.status_code // 100 == 2:
                PlacedOrderResponse[UnplacedOrder](**answer["data"])
                verdict.saw(PlacedOrderResponse)
            else:
                problems = [e["code"] for e in answer["error"]["errors"]]
                BuyingPowerEffect(**answer["data"]["buying-power-effect"])
                verdict.saw(BuyingPowerEffect)
                if not problems:
                    verdict.fail(f"a refused dry run names no problem: {answer}")
        except Exception as error:
            verdict.fail(f"the dry run of ttai's order body {body} does not validate: {error}")
    verdict.endpoints.add("/accounts/{n}/orders/dry-run (POST)")

    symbol = plan["order_symbol"]
    leg = Leg(instrument_type=InstrumentType.EQUITY_OPTION, symbol=symbol, action=OrderAction.SELL_TO_OPEN, quantity=1)
    far = LimitOrder(time_in_force=OrderTimeInForce.GTC, price=Decimal("99.00"), legs=[leg])
    try:
        dry = await account.place_order(session, far, dry_run=True)
        verdict.saw(UnplacedOrder)
        if dry.buying_power_effect.change_in_buying_power >= 0:
            verdict.fail(f"a short put's dry run frees buying power: {dry.buying_power_effect}")
    except Exception as error:
        verdict.fail(f"SDK place_order(dry_run=True): {error}")
    # A preflight refusal: the SDK raises with the API's words, and reads the buying-power
    # effect the answer still carries (get_order_buying_power_effect reads data whatever the
    # status).
    big_leg = Leg(instrument_type=InstrumentType.EQUITY_OPTION, symbol=symbol, action=OrderAction.SELL_TO_OPEN, quantity=500)
    big = LimitOrder(time_in_force=OrderTimeInForce.DAY, price=Decimal("1.00"), legs=[big_leg])
    try:
        await account.place_order(session, big, dry_run=True)
        verdict.fail("a dry run beyond the buying power was accepted")
    except TastytradeError as error:
        if "margin_check_failed" not in str(error):
            verdict.fail(f"the preflight refusal does not say margin_check_failed: {error}")
    try:
        effect = await account.get_order_buying_power_effect(session, big)
        verdict.saw(BuyingPowerEffect)
        if effect.change_in_buying_power >= 0:
            verdict.fail(f"the refused order's buying-power effect is not a debit: {effect}")
    except Exception as error:
        verdict.fail(f"the refused dry run's data does not validate as BuyingPowerEffect: {error}")
    verdict.endpoints.add("/accounts/{n}/orders/dry-run (preflight refusal: data and error)")
    try:
        placed = await account.place_order(session, far, dry_run=False)
        order_id = placed.order.id
        verdict.saw(PlacedOrder)
        verdict.endpoints.add("/accounts/{n}/orders (POST)")
    except Exception as error:
        verdict.fail(f"SDK place_order(dry_run=False): {error}")
        return
    try:
        live = await account.get_live_orders(session)
        if not any(o.id == order_id for o in live):
            verdict.fail("the SDK's get_live_orders does not list the order it placed")
        verdict.saw(PlacedOrder, len(live))
        one = await account.get_order(session, order_id)
        history = await account.get_order_history(session, start_date=one.received_at.date(), page_offset=None)
        if not any(o.id == order_id for o in history):
            verdict.fail("the SDK's get_order_history does not list the order it placed")
        await account.delete_order(session, order_id)
        after = await account.get_order(session, order_id)
        if after.status != OrderStatus.CANCELLED:
            verdict.fail(f"after delete_order the order is {after.status}")
        verdict.endpoints.add("/accounts/{n}/orders/{id} (DELETE)")
    except Exception as error:
        verdict.fail(f"SDK order calls: {error}")


async def judge_oauth_error(plan: dict[str, Any], verdict: Verdict) -> None:
    """A refused grant: the SDK raises, and the error names the grant problem."""
    session = Session(provider_secret="not-the-secret", refresh_token=plan["refresh_token"])
    async with session:
        try:
            await session.refresh(force=True)
        except TastytradeError as error:
            if "invalid_grant" not in str(error):
                verdict.fail(f"a refused grant does not say invalid_grant: {error}")
            else:
                verdict.endpoints.add("/oauth/token (refused)")
            return
    verdict.fail("the fake minted a token for a wrong client secret")


def candle_request(symbol: str) -> tuple[str, str, bool]:
    """SPY{=1d,tho=true} -> ("SPY", "1d", extended=False)."""
    base, _, rest = symbol.partition("{")
    attributes = rest.rstrip("}").split(",")
    interval = next(a[1:] for a in attributes if a.startswith("="))
    return base, interval, "tho=true" not in attributes


async def judge_stream(session: Session, plan: dict[str, Any], verdict: Verdict, timeout: float) -> None:
    """Every event type ttai subscribes to, streamed by the SDK from the fake's DXLink."""
    by_type: dict[str, list[dict[str, Any]]] = {}
    for sub in plan["subscriptions"]:
        by_type.setdefault(sub["type"], []).append(sub)
    async with DXLinkStreamer(session) as streamer:
        for name, subs in by_type.items():
            if name not in EVENTS:
                verdict.fail(f"ttai subscribes to {name}, which the judge does not stream")
                continue
            if name == "Candle":
                for sub in subs:
                    ticker, interval, extended = candle_request(sub["symbol"])
                    start = datetime.fromtimestamp(sub.get("fromTime", 0) / 1000, tz=timezone.utc)
                    await streamer.subscribe_candle([ticker], interval, start_time=start, extended_trading_hours=extended)
            else:
                await streamer.subscribe(EVENTS[name], sorted({s["symbol"] for s in subs}))

        async def collect(name: str, subs: list[dict[str, Any]]) -> None:
            cls = EVENTS[name]
            if name == "Candle":
                # Until every snapshot ends (the SDK sees the normalised symbol dxFeed sends).
                waiting = len(subs)
                while waiting:
                    event = await streamer.get_event(cls)
                    verdict.events[name] = verdict.events.get(name, 0) + 1
                    if event.snapshot_end or event.snapshot_snip:
                        waiting -= 1
            else:
                wanted = {s["symbol"] for s in subs if name != "Greeks" or s["symbol"] in plan["greeks_answered"]}
                seen: set[str] = set()
                while wanted - seen:
                    event = await streamer.get_event(cls)
                    verdict.events[name] = verdict.events.get(name, 0) + 1
                    seen.add(event.event_symbol)

        for name, subs in by_type.items():
            if name not in EVENTS:
                continue
            try:
                await asyncio.wait_for(collect(name, subs), timeout)
            except TimeoutError:
                verdict.fail(f"{name}: the SDK did not receive every subscribed symbol's events within {timeout} s")


async def main(plan_path: str) -> int:
    with open(plan_path) as f:
        plan = json.load(f)
    if tastytrade.VERSION != PINNED:
        print(f"tastytrade {tastytrade.VERSION} is installed; the judge is pinned to {PINNED}", file=sys.stderr)
        return 2
    # The SDK hard-codes https://api.tastyworks.com; point it at the fake.
    tastytrade.session.API_URL = plan["api_url"]
    skipped = SkippedEvents()
    logging.getLogger("tastytrade").addHandler(skipped)
    verdict = Verdict()
    session = Session(provider_secret=plan["client_secret"], refresh_token=plan["refresh_token"])
    async with session:
        await judge_recorded(session, plan["requests"], verdict)
        await judge_sdk_calls(session, plan, verdict)
        await judge_orders(session, plan, verdict)
        await judge_stream(session, plan, verdict, plan.get("timeout", 20.0))
    await judge_oauth_error(plan, verdict)
    for message in skipped.skipped:
        verdict.fail(f"the SDK skipped or rejected: {message}")
    for name in {s["type"] for s in plan["subscriptions"]}:
        if not verdict.events.get(name):
            verdict.fail(f"no {name} event reached the SDK")
    for model, count in verdict.models.items():
        if count == 0:
            verdict.fail(f"{model}: the fake served none to check")
    summary = {
        "sdk": tastytrade.VERSION,
        "models": sorted(verdict.models),
        "instances": sum(verdict.models.values()),
        "endpoints": sorted(verdict.endpoints),
        "event_types": sorted(verdict.events),
        "events": verdict.events,
        "failures": verdict.failures,
    }
    for failure in verdict.failures:
        print(f"FAIL: {failure}", file=sys.stderr)
    print(json.dumps(summary))
    return 1 if verdict.failures else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1])))
