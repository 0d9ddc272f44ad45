"""The Zoho CRM simulator's data: one CRM organization's modules, their fields and records.

Deterministic by seed. Each module has Zoho's system fields (owner, created and modified by and
when) and its own standard fields; Leads also has forty custom fields, more than one v8 request
may name (50), as organizations do. Records are generated on a module's first use, with ids and
timestamps as Zoho writes them (19-digit ids, ISO 8601 in the organization's time zone,
+05:30). :meth:`Dataset.advance` moves the organization's clock an hour on: some records are
edited, new ones are created, in every module.
"""

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from connectors.zoho_crm.vendor import MODULES

ZONE = timezone(timedelta(hours=5, minutes=30))
NOW = datetime(2025, 1, 1, 9, 0, tzinfo=ZONE)
"""The organization's clock before the first :meth:`Dataset.advance`."""
HISTORY = timedelta(days=365)
DEFAULT_RECORDS = 450
"""Records of each module by default: three pages of 200."""
ID_BASE = 5_725_767_000_000_000_000

USERS = (
    {"name": "Patricia Boyle", "id": "5725767000000235001", "email": "patricia.boyle@zylker.com"},
    {"name": "Kris Marrier", "id": "5725767000000235002", "email": "kris.marrier@zylker.com"},
    {"name": "Carissa Kidman", "id": "5725767000000235003", "email": "carissa.kidman@zylker.com"},
)
FIRST = ("John", "Ana", "Ravi", "Mei", "Lena", "Omar", "Sara", "Tom", "Yuki", "Ines")
LAST = ("Doe", "Silva", "Iyer", "Chen", "Berg", "Haddad", "Kim", "Novak", "Sato", "Lopez")
WORDS = ("Zylker", "Acme", "Globex", "Initech", "Umbrella", "Hooli", "Vandelay", "Stark")
PICKS = ("Active", "Pending", "Closed", "Contacted", "Qualified", "High", "Low", "Partner")

JSON_TYPES = {
    "integer": "integer",
    "double": "double",
    "currency": "double",
    "percent": "double",
    "boolean": "boolean",
    "lookup": "jsonobject",
    "ownerlookup": "jsonobject",
    "userlookup": "jsonobject",
    "multiselectpicklist": "jsonarray",
}
"""Each data type's ``json_type`` (what its JSON value is); the others are strings."""

SYSTEM = (
    ("Owner", "ownerlookup"),
    ("Created_By", "userlookup"),
    ("Modified_By", "userlookup"),
    ("Created_Time", "datetime"),
    ("Modified_Time", "datetime"),
)
OWN = {
    "Leads": "First_Name:text Last_Name:text Company:text Email:email Phone:phone "
    "Lead_Source:picklist Lead_Status:picklist Industry:picklist Annual_Revenue:currency "
    "No_of_Employees:integer Rating:picklist Email_Opt_Out:boolean Website:website "
    "Description:textarea",
    "Contacts": "First_Name:text Last_Name:text Email:email Phone:phone Account_Name:lookup "
    "Title:text Department:text Date_of_Birth:date Mailing_City:text Email_Opt_Out:boolean",
    "Accounts": "Account_Name:text Website:website Phone:phone Industry:picklist "
    "Annual_Revenue:currency Employees:integer Account_Type:picklist Billing_City:text",
    "Deals": "Deal_Name:text Account_Name:lookup Contact_Name:lookup Amount:currency "
    "Stage:picklist Closing_Date:date Probability:integer Type:picklist Lead_Source:picklist",
    "Tasks": "Subject:text Due_Date:date Status:picklist Priority:picklist What_Id:lookup",
    "Events": "Event_Title:text Start_DateTime:datetime End_DateTime:datetime Venue:text "
    "All_day:boolean",
    "Calls": "Subject:text Call_Type:picklist Call_Start_Time:datetime Call_Duration:text "
    "Call_Purpose:picklist",
    "Products": "Product_Name:text Product_Code:text Unit_Price:currency Qty_in_Stock:double "
    "Product_Active:boolean Product_Category:picklist",
    "Vendors": "Vendor_Name:text Email:email Phone:phone Website:website Category:text",
    "Quotes": "Subject:text Quote_Stage:picklist Valid_Till:date Grand_Total:currency "
    "Account_Name:lookup",
    "Sales_Orders": "Subject:text Status:picklist Due_Date:date Grand_Total:currency "
    "Account_Name:lookup",
    "Invoices": "Subject:text Status:picklist Invoice_Date:date Due_Date:date "
    "Grand_Total:currency Account_Name:lookup",
    "Campaigns": "Campaign_Name:text Type:picklist Status:picklist Start_Date:date "
    "End_Date:date Budgeted_Cost:currency Expected_Revenue:currency",
    "Cases": "Subject:text Status:picklist Priority:picklist Case_Origin:picklist Type:picklist "
    "Account_Name:lookup",
    "Solutions": "Solution_Title:text Status:picklist Question:textarea Answer:textarea",
    "Price_Books": "Price_Book_Name:text Active:boolean Pricing_Model:picklist "
    "Description:textarea",
    "Purchase_Orders": "Subject:text Status:picklist PO_Date:date Grand_Total:currency "
    "Vendor_Name:lookup",
}
"""Each module's standard fields (``api_name:data_type``), after the system ones."""
CUSTOM_TYPES = ("text", "integer", "date", "double", "boolean", "multiselectpicklist", "picklist")
CUSTOM_FIELDS = {"Leads": 40}
"""Custom fields some modules have: ``Custom_Field_01``... of the types above in turn."""


@dataclass(frozen=True)
class Field:
    api_name: str
    data_type: str
    custom: bool = False

    @property
    def json_type(self) -> str:
        return JSON_TYPES.get(self.data_type, "string")

    @property
    def label(self) -> str:
        return self.api_name.replace("_", " ")


def fields_of(module: str) -> tuple[Field, ...]:
    own = [Field(*pair.split(":")) for pair in OWN[module].split()]
    custom = [
        Field(f"Custom_Field_{n:02d}", CUSTOM_TYPES[n % len(CUSTOM_TYPES)], custom=True)
        for n in range(1, CUSTOM_FIELDS.get(module, 0) + 1)
    ]
    return (*(Field(*pair) for pair in SYSTEM), *own, *custom)


@dataclass
class Module:
    """One module: its fields and records (every field, as Zoho stores them)."""

    name: str
    index: int
    fields: tuple[Field, ...]
    records: list[dict[str, Any]] = field(default_factory=list)
    serial: int = 0

    def new_id(self) -> str:
        self.serial += 1
        return str(ID_BASE + self.index * 10_000_000 + self.serial)


class Dataset:
    """The organization: its modules, each generated on first use, and its clock."""

    def __init__(self, seed: int = 42, records: int | None = None) -> None:
        self.seed = seed
        self.records_per_module = DEFAULT_RECORDS if records is None else records
        self.now = NOW
        self._advances = 0
        self._modules: dict[str, Module] = {}

    def module(self, name: str) -> Module:
        """One of the organization's modules (a name of ``MODULES``), generated on first use."""
        if name not in self._modules:
            self._modules[name] = self._generate(name)
        return self._modules[name]

    def advance(self) -> None:
        """An hour passes: in every module some records are edited and some created."""
        self._advances += 1
        self.now = NOW + timedelta(hours=self._advances)
        for module in self._modules.values():
            self._move(module, self._advances)

    def _generate(self, name: str) -> Module:
        module = Module(name, list(MODULES).index(name) + 1, fields_of(name))
        rng = self._random(name, "records")
        start = NOW - HISTORY
        for _ in range(self.records_per_module):
            created = start + timedelta(seconds=rng.randrange(int(HISTORY.total_seconds())))
            modified = created + timedelta(
                seconds=rng.randrange(int((NOW - created).total_seconds()) + 1)
            )
            module.records.append(self._record(module, rng, created, modified))
        for step in range(1, self._advances + 1):
            self._move(module, step)
        return module

    def _move(self, module: Module, step: int) -> None:
        """The changes of the hour ``step``: a tenth of the records edited, a twentieth new."""
        rng = self._random(module.name, f"advance-{step}")
        hour = NOW + timedelta(hours=step - 1)
        edited = (
            rng.sample(module.records, max(1, len(module.records) // 10)) if module.records else []
        )
        for record in edited:
            moment = hour + timedelta(seconds=rng.randrange(1, 3600))
            editable = [f for f in module.fields if f.data_type == "text"]
            target = rng.choice(editable)
            record[target.api_name] = f"{target.label} edited {step}.{rng.randrange(1000)}"
            record["Modified_Time"] = written(moment)
            record["Modified_By"] = dict(rng.choice(USERS))
        for _ in range(max(1, self.records_per_module // 20)):
            moment = hour + timedelta(seconds=rng.randrange(1, 3600))
            module.records.append(self._record(module, rng, moment, moment))

    def _record(
        self, module: Module, rng: random.Random, created: datetime, modified: datetime
    ) -> dict[str, Any]:
        record: dict[str, Any] = {"id": module.new_id()}
        for spec in module.fields:
            record[spec.api_name] = _value(spec, rng, module.serial)
        record["Created_Time"] = written(created)
        record["Modified_Time"] = written(modified)
        return record

    def _random(self, module: str, purpose: str) -> random.Random:
        return random.Random(f"{self.seed}:{module}:{purpose}")


def written(moment: datetime) -> str:
    """A date-time as Zoho writes it: seconds, in the organization's zone."""
    return moment.astimezone(ZONE).replace(microsecond=0).isoformat()


def _value(spec: Field, rng: random.Random, serial: int) -> Any:
    """A value of the field's type; now and then none (null), as in any CRM."""
    if spec.data_type not in ("ownerlookup", "userlookup", "datetime") and rng.random() < 0.08:
        return None
    first, last, word = rng.choice(FIRST), rng.choice(LAST), rng.choice(WORDS)
    match spec.data_type:
        case "ownerlookup" | "userlookup":
            return dict(rng.choice(USERS))
        case "lookup":
            return {"name": f"{word} {last}", "id": str(ID_BASE + rng.randrange(10**9))}
        case "email":
            return f"{first.lower()}.{last.lower()}{serial}@{word.lower()}.example"
        case "phone":
            return f"+1-555-{rng.randrange(10_000):04d}"
        case "website":
            return f"https://www.{word.lower()}{serial}.example"
        case "picklist":
            return rng.choice(PICKS)
        case "multiselectpicklist":
            return sorted(rng.sample(PICKS, rng.randrange(1, 3)))
        case "integer":
            return rng.randrange(1, 5_000)
        case "double" | "currency" | "percent":
            return round(rng.uniform(10, 250_000), 2)
        case "boolean":
            return rng.random() < 0.3
        case "date":
            return (NOW - timedelta(days=rng.randrange(-180, 720))).date().isoformat()
        case "datetime":
            return written(NOW - timedelta(seconds=rng.randrange(-(10**7), 3 * 10**7)))
        case "textarea":
            return f"{word} {spec.label.lower()} note {serial}: {first} asked for a call back."
    if spec.api_name in ("First_Name", "Last_Name"):
        return first if spec.api_name == "First_Name" else last
    return f"{word} {spec.label} {serial}"
