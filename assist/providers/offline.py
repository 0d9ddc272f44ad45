"""The offline provider: the metric catalog's engine, with no model and no network.

It maps a question onto the catalog (``assist.offline``) and compiles it to SQL over the tables
the asking user may read; a question it cannot map is declined, never guessed.
"""

from assist.offline.engine import Declined, understand
from assist.prompt import PromptContext, Repair
from assist.providers.base import Generation, ProviderError
from assist.semantic.catalog import Catalog
from assist.semantic.compile import MetricQueryError, compile_metric
from governance.rls.context import QueryRefused


class Offline:
    name = "offline"
    model = "metric-catalog"

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def generate(
        self, context: PromptContext, question: str, repair: Repair | None = None
    ) -> Generation:
        if repair is not None:  # its SQL comes from the catalog: another try would be the same
            raise QueryRefused(repair.refusal)
        understood = understand(question, self.catalog, context.today)
        if isinstance(understood, Declined):
            raise ProviderError(understood.reason, kind="declined")
        try:
            sql = compile_metric(understood.query, self.catalog, context.sources, context.today)
        except MetricQueryError as error:
            raise ProviderError(str(error), kind="declined") from None
        return Generation(sql, understood.explanation, self.model)
