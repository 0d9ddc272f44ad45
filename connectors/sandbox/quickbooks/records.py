"""What each QuickBooks entity of the sandbox company looks like, as the Accounting API returns it.

One builder per entity makes the fields of a new one (``Id``, ``SyncToken``, ``MetaData`` and
``domain`` are the company's to add), referring to entities the company already holds: an
invoice to a customer and items, a payment to an open invoice (which it pays), a bill payment to
an open bill. Amounts are dollars with cents; dates are the company's (Pacific) dates.
"""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from connectors.sandbox.quickbooks.dataset import Company

Fields = dict[str, Any]

GIVEN = tuple(
    "Amy Bill Dylan Geeta Jeff John Kate Lin Mark Nina Omar Paulsen Rondonuwu Shara "
    "Sonnenschein Travis Wei Yara".split()
)
FAMILY = tuple(
    "Barnett Cool Dukes Freeman Gevelber Kalapatapu Lauterbach Mesa Pye Rago Smith Tucker "
    "Weiskopf Zamora".split()
)
TRADES = (
    "Bird Sanctuary",
    "Cars",
    "Designs",
    "Fountains",
    "Landscaping",
    "Lumber",
    "Meats",
    "Plumbing",
    "Pools",
    "Sporting Goods",
    "Supplies",
    "Windows",
)
CITIES = (
    ("Bayshore", "CA", "94326"),
    ("Half Moon Bay", "CA", "94213"),
    ("Middlefield", "CA", "94303"),
    ("Palo Alto", "CA", "94303"),
    ("San Jose", "CA", "95112"),
    ("Tucson", "AZ", "85719"),
)
STREETS = ("Main St.", "Elm St.", "Pine Ave.", "Harbor Blvd.", "Ocean View Rd.", "Market St.")
USD = {"value": "USD", "name": "United States Dollar"}

ACCOUNTS = (
    ("Checking", "Bank", "Checking", "Asset"),
    ("Savings", "Bank", "Savings", "Asset"),
    ("Accounts Receivable (A/R)", "Accounts Receivable", "AccountsReceivable", "Asset"),
    ("Undeposited Funds", "Other Current Asset", "UndepositedFunds", "Asset"),
    ("Inventory Asset", "Other Current Asset", "Inventory", "Asset"),
    ("Accounts Payable (A/P)", "Accounts Payable", "AccountsPayable", "Liability"),
    ("Mastercard", "Credit Card", "CreditCard", "Liability"),
    ("Opening Balance Equity", "Equity", "OpeningBalanceEquity", "Equity"),
    ("Sales of Product Income", "Income", "SalesOfProductIncome", "Revenue"),
    ("Services", "Income", "ServiceFeeIncome", "Revenue"),
    ("Cost of Goods Sold", "Cost of Goods Sold", "SuppliesMaterialsCogs", "Expense"),
    ("Advertising", "Expense", "AdvertisingPromotional", "Expense"),
    ("Insurance", "Expense", "Insurance", "Expense"),
    ("Office Expenses", "Expense", "OfficeGeneralAdministrativeExpenses", "Expense"),
    ("Rent or Lease", "Expense", "RentOrLeaseOfBuildings", "Expense"),
    ("Utilities", "Expense", "Utilities", "Expense"),
)
EXPENSE_ACCOUNTS = ("Advertising", "Insurance", "Office Expenses", "Rent or Lease", "Utilities")
CLASSES = ("Retail", "Wholesale", "Online", "Services")
DEPARTMENTS = ("Downtown", "Harbor", "Uptown")
PAYMENT_METHODS = (
    ("Cash", "NON_CREDIT_CARD"),
    ("Check", "NON_CREDIT_CARD"),
    ("Visa", "CREDIT_CARD"),
    ("MasterCard", "CREDIT_CARD"),
    ("American Express", "CREDIT_CARD"),
    ("Discover", "CREDIT_CARD"),
)
TERMS = (
    ("Due on receipt", 0, 0, 0),
    ("Net 15", 15, 0, 0),
    ("Net 30", 30, 0, 0),
    ("Net 60", 60, 0, 0),
    ("2% 10 Net 30", 30, 10, 2),
)
TAX_RATES = (("California", 7.25), ("Alameda County", 1.5), ("BART", 0.5))
TAX_CODES = (("California", (0,)), ("Alameda", (0, 1, 2)))
PRODUCTS = (
    ("Design", "Service", 75),
    ("Gardening", "Service", 25),
    ("Installation", "Service", 50),
    ("Maintenance & Repair", "Service", 60),
    ("Pest Control", "Service", 35),
    ("Concrete", "NonInventory", 15),
    ("Sod", "NonInventory", 9),
    ("Pump", "Inventory", 15),
    ("Rock Fountain", "Inventory", 275),
    ("Sprinkler Heads", "Inventory", 2),
    ("Sprinkler Pipes", "Inventory", 4),
)


def ref(record: Fields, name: str = "DisplayName") -> Fields:
    """A reference to ``record``, as QuickBooks writes one: its id and name."""
    return {"value": record["Id"], "name": record[name]}


def money(value: float) -> float:
    return round(value, 2)


def date(moment: datetime, days: int = 0) -> str:
    return (moment + timedelta(days=days)).date().isoformat()


def _address(company: "Company") -> Fields:
    city, state, postal = company.rng.choice(CITIES)
    street = f"{company.rng.randint(10, 9999)} {company.rng.choice(STREETS)}"
    return {
        "Id": str(company.next_id("PhysicalAddress")),
        "Line1": street,
        "City": city,
        "CountrySubDivisionCode": state,
        "PostalCode": postal,
    }


def _phone(company: "Company") -> Fields:
    return {"FreeFormNumber": f"(415) 555-{company.rng.randint(1000, 9999)}"}


def _email(name: str) -> Fields:
    return {"Address": name.lower().replace(" ", ".").replace("'", "") + "@example.com"}


def _pick(company: "Company", entity: str, **where: Any) -> Fields:
    """A random entity of the type with the ``where`` values: drawn until one has them, as most
    do (a scan of thousands for each draw would take the history seconds to make)."""
    found = company.entities[entity]
    for _ in range(50):
        record = company.rng.choice(found)
        if all(record.get(key) == value for key, value in where.items()):
            return record
    found = [r for r in found if all(r.get(key) == value for key, value in where.items())]
    return company.rng.choice(found)


def _named(company: "Company", entity: str, name: str) -> Fields:
    return next(r for r in company.entities[entity] if r.get("Name") == name)


def _account(company: "Company", name: str) -> Fields:
    return ref(_named(company, "Account", name), "Name")


def _unique_name(company: "Company", entity: str, name: str) -> str:
    taken = company.names[entity]
    unique = name if name not in taken else f"{name} {company.next_id(entity + 'Name')}"
    taken.add(unique)
    return unique


# ---- name lists -------------------------------------------------------------------------------


def chart_of_accounts(company: "Company", at: datetime) -> None:
    for name, kind, subtype, classification in ACCOUNTS:
        balance = money(company.rng.uniform(0, 25_000)) if classification == "Asset" else 0
        company.add(
            "Account",
            {
                "Name": name,
                "SubAccount": False,
                "FullyQualifiedName": name,
                "Active": True,
                "Classification": classification,
                "AccountType": kind,
                "AccountSubType": subtype,
                "CurrentBalance": balance,
                "CurrentBalanceWithSubAccounts": balance,
                "CurrencyRef": USD,
            },
            at,
        )


def lists(company: "Company", at: datetime) -> None:
    """Classes, departments, payment methods, terms, tax rates and tax codes."""
    for name in CLASSES:
        fields = {"Name": name, "SubClass": False, "FullyQualifiedName": name, "Active": True}
        company.add("Class", fields, at)
    for name in DEPARTMENTS:
        fields = {"Name": name, "SubDepartment": False, "FullyQualifiedName": name, "Active": True}
        company.add("Department", fields, at)
    for name, kind in PAYMENT_METHODS:
        company.add("PaymentMethod", {"Name": name, "Active": True, "Type": kind}, at)
    for name, due, discount_days, discount in TERMS:
        fields = {"Name": name, "Active": True, "Type": "STANDARD", "DueDays": due}
        if discount:
            fields.update(DiscountDays=discount_days, DiscountPercent=discount)
        company.add("Term", fields, at)
    rates = [
        company.add(
            "TaxRate",
            {
                "Name": name,
                "Description": f"{name} sales tax",
                "Active": True,
                "RateValue": rate,
                "AgencyRef": {"value": "1"},
                "SpecialTaxType": "NONE",
                "DisplayType": "ReadOnly",
                "EffectiveTaxRate": [{"RateValue": rate, "EffectiveDate": "2014-01-01"}],
            },
            at,
        )
        for name, rate in TAX_RATES
    ]
    for name, parts in TAX_CODES:
        details = [
            {"TaxRateRef": ref(rates[i], "Name"), "TaxTypeApplicable": "TaxOnAmount", "TaxOrder": 0}
            for i in parts
        ]
        company.add(
            "TaxCode",
            {
                "Name": name,
                "Description": name,
                "Active": True,
                "Hidden": False,
                "Taxable": True,
                "TaxGroup": True,
                "SalesTaxRateList": {"TaxRateDetail": details},
                "PurchaseTaxRateList": {"TaxRateDetail": []},
            },
            at,
        )


def items(company: "Company", at: datetime) -> None:
    for name, kind, price in PRODUCTS:
        fields = {
            "Name": name,
            "Description": name,
            "Active": True,
            "FullyQualifiedName": name,
            "Taxable": kind != "Service",
            "UnitPrice": price,
            "Type": kind,
            "IncomeAccountRef": _account(
                company, "Services" if kind == "Service" else "Sales of Product Income"
            ),
            "PurchaseCost": money(price * 0.4) if kind != "Service" else 0,
            "ExpenseAccountRef": _account(company, "Cost of Goods Sold"),
            "TrackQtyOnHand": kind == "Inventory",
        }
        if kind == "Inventory":
            fields.update(
                Sku=f"SKU-{company.next_id('Sku'):04d}",
                QtyOnHand=company.rng.randint(5, 500),
                InvStartDate=date(at),
                AssetAccountRef=_account(company, "Inventory Asset"),
                PurchaseDesc=f"{name} (wholesale)",
            )
        company.add("Item", fields, at)


def customer(company: "Company", at: datetime) -> Fields:
    rng = company.rng
    given, family = rng.choice(GIVEN), rng.choice(FAMILY)
    trade = f"{family}'s {rng.choice(TRADES)}" if rng.random() < 0.5 else None
    display = _unique_name(company, "Customer", trade or f"{given} {family}")
    address = _address(company)
    fields = {
        "GivenName": given,
        "FamilyName": family,
        "DisplayName": display,
        "FullyQualifiedName": display,
        "PrintOnCheckName": trade or f"{given} {family}",
        "Active": True,
        "PrimaryPhone": _phone(company),
        "PrimaryEmailAddr": _email(f"{given} {family}"),
        "BillAddr": address,
        "ShipAddr": address,
        "Job": False,
        "BillWithParent": False,
        "Taxable": rng.random() < 0.7,
        "Balance": 0,
        "BalanceWithJobs": 0,
        "CurrencyRef": USD,
        "PreferredDeliveryMethod": rng.choice(("Print", "Email", "None")),
        "SalesTermRef": ref(_pick(company, "Term"), "Name"),
        "V4IDPseudonym": f"{rng.getrandbits(96):024x}",
    }
    if trade:
        fields["CompanyName"] = trade
    return fields


def vendor(company: "Company", at: datetime) -> Fields:
    rng = company.rng
    family = rng.choice(FAMILY)
    name = _unique_name(company, "Vendor", f"{family} {rng.choice(TRADES)}")
    return {
        "CompanyName": name,
        "DisplayName": name,
        "PrintOnCheckName": name,
        "Active": True,
        "PrimaryPhone": _phone(company),
        "PrimaryEmailAddr": _email(name),
        "WebAddr": {"URI": "http://www." + name.lower().replace(" ", "") + ".example.com"},
        "BillAddr": _address(company),
        "TaxIdentifier": f"XXXXXX{rng.randint(1000, 9999)}",
        "AcctNum": str(rng.randint(10_000, 99_999)),
        "Vendor1099": rng.random() < 0.3,
        "TermRef": ref(_pick(company, "Term"), "Name"),
        "Balance": 0,
        "CurrencyRef": USD,
        "V4IDPseudonym": f"{rng.getrandbits(96):024x}",
    }


def employee(company: "Company", at: datetime) -> Fields:
    given, family = company.rng.choice(GIVEN), company.rng.choice(FAMILY)
    display = _unique_name(company, "Employee", f"{given} {family}")
    return {
        "GivenName": given,
        "FamilyName": family,
        "DisplayName": display,
        "PrintOnCheckName": display,
        "Active": True,
        "PrimaryPhone": _phone(company),
        "PrimaryEmailAddr": _email(display),
        "PrimaryAddr": _address(company),
        "EmployeeNumber": f"E{company.next_id('EmployeeNumber'):03d}",
        "BillableTime": False,
        "HiredDate": date(at, -company.rng.randint(0, 2000)),
        "V4IDPseudonym": f"{company.rng.getrandbits(96):024x}",
    }


# ---- transactions -----------------------------------------------------------------------------


def _transaction(company: "Company", at: datetime, numbered: bool = True) -> Fields:
    fields = {"TxnDate": date(at, -company.rng.randint(0, 3)), "CurrencyRef": USD}
    if numbered:
        fields["DocNumber"] = str(1000 + company.next_id("DocNumber"))
    if company.rng.random() < 0.3:
        fields["DepartmentRef"] = ref(_pick(company, "Department"), "Name")
    return fields


def _sales_lines(company: "Company") -> tuple[list[Fields], float]:
    lines, total = [], 0.0
    for number in range(1, company.rng.randint(1, 4) + 1):
        item = _pick(company, "Item", Active=True)
        quantity = company.rng.randint(1, 12)
        amount = money(quantity * item["UnitPrice"])
        total += amount
        lines.append(
            {
                "Id": str(number),
                "LineNum": number,
                "Description": item["Description"],
                "Amount": amount,
                "DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": {
                    "ItemRef": ref(item, "Name"),
                    "UnitPrice": item["UnitPrice"],
                    "Qty": quantity,
                    "TaxCodeRef": {"value": "TAX" if item["Taxable"] else "NON"},
                },
            }
        )
    total = money(total)
    lines.append({"Amount": total, "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}})
    return lines, total


def _expense_lines(company: "Company") -> tuple[list[Fields], float]:
    lines, total = [], 0.0
    for number in range(1, company.rng.randint(1, 3) + 1):
        amount = money(company.rng.uniform(20, 2_500))
        total += amount
        lines.append(
            {
                "Id": str(number),
                "Amount": amount,
                "DetailType": "AccountBasedExpenseLineDetail",
                "AccountBasedExpenseLineDetail": {
                    "AccountRef": _account(company, company.rng.choice(EXPENSE_ACCOUNTS)),
                    "BillableStatus": "NotBillable",
                    "TaxCodeRef": {"value": "NON"},
                },
            }
        )
    return lines, money(total)


def _sales_form(company: "Company", at: datetime) -> tuple[Fields, Fields, float]:
    """The fields every sales form shares, its customer, and its total."""
    buyer = _pick(company, "Customer", Active=True)
    lines, total = _sales_lines(company)
    fields = {
        **_transaction(company, at),
        "CustomerRef": ref(buyer),
        "BillAddr": buyer["BillAddr"],
        "ShipAddr": buyer["ShipAddr"],
        "BillEmail": buyer["PrimaryEmailAddr"],
        "Line": lines,
        "TxnTaxDetail": {"TotalTax": 0},
        "TotalAmt": total,
        "ApplyTaxAfterDiscount": False,
        "PrintStatus": company.rng.choice(("NotSet", "NeedToPrint", "PrintComplete")),
        "EmailStatus": company.rng.choice(("NotSet", "NeedToSend", "EmailSent")),
    }
    if company.rng.random() < 0.4:
        fields["ClassRef"] = ref(_pick(company, "Class"), "Name")
    if company.rng.random() < 0.3:
        fields["CustomerMemo"] = {"value": "Thank you for your business and have a great day!"}
    return fields, buyer, total


def invoice(company: "Company", at: datetime) -> Fields:
    fields, buyer, total = _sales_form(company, at)
    term = next(t for t in company.entities["Term"] if t["Id"] == buyer["SalesTermRef"]["value"])
    return {
        **fields,
        "SalesTermRef": buyer["SalesTermRef"],
        "DueDate": date(at, term["DueDays"]),
        "Balance": total,
        "Deposit": 0,
        "LinkedTxn": [],
        "AllowIPNPayment": False,
        "AllowOnlinePayment": False,
        "AllowOnlineCreditCardPayment": False,
        "AllowOnlineACHPayment": False,
    }


def estimate(company: "Company", at: datetime) -> Fields:
    fields, _, _ = _sales_form(company, at)
    status = company.rng.choice(("Pending", "Accepted", "Closed", "Rejected"))
    return {**fields, "TxnStatus": status, "ExpirationDate": date(at, 30)}


def sales_receipt(company: "Company", at: datetime) -> Fields:
    fields, _, _ = _sales_form(company, at)
    return {
        **fields,
        "Balance": 0,
        "DepositToAccountRef": _account(company, "Undeposited Funds"),
        "PaymentMethodRef": ref(_pick(company, "PaymentMethod"), "Name"),
        "PaymentRefNum": str(company.rng.randint(1000, 99_999)),
    }


def credit_memo(company: "Company", at: datetime) -> Fields:
    fields, _, total = _sales_form(company, at)
    return {**fields, "RemainingCredit": total, "Balance": total}


def refund_receipt(company: "Company", at: datetime) -> Fields:
    fields, _, _ = _sales_form(company, at)
    return {
        **fields,
        "Balance": 0,
        "DepositToAccountRef": _account(company, "Checking"),
        "PaymentMethodRef": ref(_pick(company, "PaymentMethod", Name="Check"), "Name"),
        "PaymentType": "Check",
        "CheckPayment": {"PrintStatus": "NotSet"},
    }


def _settle(company: "Company", owed: Fields, entity: str, at: datetime) -> tuple[float, Fields]:
    """Pay off ``owed`` (an open invoice or bill) at ``at``; the amount and the line paying it."""
    amount = owed["Balance"]
    company.touch(entity, owed, at, Balance=0)
    line = {"Amount": amount, "LinkedTxn": [{"TxnId": owed["Id"], "TxnType": entity}]}
    return amount, line


def _open(company: "Company", entity: str) -> Fields | None:
    """One of the latest invoices or bills still owed, if any."""
    latest = company.entities[entity][-50:]
    owed = [record for record in latest if record.get("Balance", 0) > 0]
    return company.rng.choice(owed) if owed else None


def payment(company: "Company", at: datetime) -> Fields | None:
    owed = _open(company, "Invoice")
    if owed is None:
        return None
    amount, line = _settle(company, owed, "Invoice", at)
    return {
        **_transaction(company, at, numbered=False),
        "CustomerRef": owed["CustomerRef"],
        "DepositToAccountRef": _account(company, "Undeposited Funds"),
        "PaymentMethodRef": ref(_pick(company, "PaymentMethod"), "Name"),
        "PaymentRefNum": str(company.rng.randint(1000, 99_999)),
        "Line": [line],
        "TotalAmt": amount,
        "UnappliedAmt": 0,
        "ProcessPayment": False,
    }


def _purchase_form(company: "Company", at: datetime) -> tuple[Fields, float]:
    seller = _pick(company, "Vendor", Active=True)
    lines, total = _expense_lines(company)
    fields = {
        **_transaction(company, at),
        "VendorRef": ref(seller),
        "APAccountRef": _account(company, "Accounts Payable (A/P)"),
        "Line": lines,
        "TotalAmt": total,
    }
    return fields, total


def bill(company: "Company", at: datetime) -> Fields:
    fields, total = _purchase_form(company, at)
    term = _pick(company, "Term")
    return {
        **fields,
        "SalesTermRef": ref(term, "Name"),
        "DueDate": date(at, term["DueDays"]),
        "Balance": total,
        "LinkedTxn": [],
    }


def vendor_credit(company: "Company", at: datetime) -> Fields:
    fields, total = _purchase_form(company, at)
    return {**fields, "Balance": total}


def purchase_order(company: "Company", at: datetime) -> Fields:
    fields, _ = _purchase_form(company, at)
    return {
        **fields,
        "POStatus": company.rng.choice(("Open", "Closed")),
        "EmailStatus": "NotSet",
        "ShipAddr": _address(company),
    }


def bill_payment(company: "Company", at: datetime) -> Fields | None:
    owed = _open(company, "Bill")
    if owed is None:
        return None
    amount, line = _settle(company, owed, "Bill", at)
    fields = {
        **_transaction(company, at),
        "VendorRef": owed["VendorRef"],
        "Line": [line],
        "TotalAmt": amount,
    }
    if company.rng.random() < 0.5:
        check = {"BankAccountRef": _account(company, "Checking"), "PrintStatus": "NotSet"}
        return {**fields, "PayType": "Check", "CheckPayment": check}
    card = {"CCAccountRef": _account(company, "Mastercard")}
    return {**fields, "PayType": "CreditCard", "CreditCardPayment": card}


def purchase(company: "Company", at: datetime) -> Fields:
    seller = _pick(company, "Vendor", Active=True)
    lines, total = _expense_lines(company)
    kind = company.rng.choice(("Cash", "Check", "CreditCard"))
    fields = {
        **_transaction(company, at, numbered=kind == "Check"),
        "AccountRef": _account(company, "Mastercard" if kind == "CreditCard" else "Checking"),
        "PaymentType": kind,
        "EntityRef": {**ref(seller), "type": "Vendor"},
        "Line": lines,
        "TotalAmt": total,
    }
    if kind == "CreditCard":
        fields["Credit"] = False
    if kind == "Check":
        fields["PrintStatus"] = "NotSet"
    return fields


def journal_entry(company: "Company", at: datetime) -> Fields:
    amount = money(company.rng.uniform(100, 5_000))
    debit = _account(company, company.rng.choice(EXPENSE_ACCOUNTS))
    lines = [
        {
            "Id": str(number),
            "Description": "Accrual",
            "Amount": amount,
            "DetailType": "JournalEntryLineDetail",
            "JournalEntryLineDetail": {"PostingType": posting, "AccountRef": account},
        }
        for number, (posting, account) in enumerate(
            (("Debit", debit), ("Credit", _account(company, "Accounts Payable (A/P)"))), 1
        )
    ]
    return {**_transaction(company, at), "Adjustment": False, "Line": lines, "TotalAmt": amount}


def deposit(company: "Company", at: datetime) -> Fields:
    amount = money(company.rng.uniform(50, 8_000))
    line = {
        "Id": "1",
        "LineNum": 1,
        "Amount": amount,
        "DetailType": "DepositLineDetail",
        "DepositLineDetail": {"AccountRef": _account(company, "Sales of Product Income")},
    }
    return {
        **_transaction(company, at, numbered=False),
        "DepositToAccountRef": _account(company, "Checking"),
        "Line": [line],
        "TotalAmt": amount,
    }


def transfer(company: "Company", at: datetime) -> Fields:
    return {
        "TxnDate": date(at),
        "CurrencyRef": USD,
        "FromAccountRef": _account(company, "Savings"),
        "ToAccountRef": _account(company, "Checking"),
        "Amount": money(company.rng.uniform(100, 10_000)),
    }


def time_activity(company: "Company", at: datetime) -> Fields:
    worker = _pick(company, "Employee", Active=True)
    service = _pick(company, "Item", Type="Service")
    billable = company.rng.random() < 0.6
    return {
        "TxnDate": date(at),
        "NameOf": "Employee",
        "EmployeeRef": ref(worker),
        "CustomerRef": ref(_pick(company, "Customer", Active=True)),
        "ItemRef": ref(service, "Name"),
        "BillableStatus": "Billable" if billable else "NotBillable",
        "Taxable": False,
        "HourlyRate": service["UnitPrice"] if billable else 0,
        "Hours": company.rng.randint(0, 8),
        "Minutes": company.rng.choice((0, 15, 30, 45)),
        "Description": f"{service['Name']} on site",
    }


Builder = Callable[["Company", datetime], Fields | None]
BUILDERS: dict[str, Builder] = {
    "Customer": customer,
    "Vendor": vendor,
    "Employee": employee,
    "Invoice": invoice,
    "Payment": payment,
    "Estimate": estimate,
    "SalesReceipt": sales_receipt,
    "CreditMemo": credit_memo,
    "RefundReceipt": refund_receipt,
    "Bill": bill,
    "BillPayment": bill_payment,
    "Purchase": purchase,
    "PurchaseOrder": purchase_order,
    "VendorCredit": vendor_credit,
    "JournalEntry": journal_entry,
    "Deposit": deposit,
    "Transfer": transfer,
    "TimeActivity": time_activity,
}
"""The entities the company makes more of as it does business (the others are set up once)."""
TRANSACTION_MIX = {
    "Invoice": 25,
    "Payment": 15,
    "Bill": 12,
    "BillPayment": 8,
    "Purchase": 12,
    "Estimate": 6,
    "SalesReceipt": 6,
    "CreditMemo": 2,
    "RefundReceipt": 1,
    "PurchaseOrder": 3,
    "VendorCredit": 1,
    "JournalEntry": 3,
    "Deposit": 2,
    "Transfer": 1,
    "TimeActivity": 3,
}
"""How often each kind of transaction happens, in percent."""
