"""A request of a `search_template` type, answered by the answering job on the master: the
right documents, at most the profile's max results, and query syntax in a value found
literally."""

from __future__ import annotations

from sqlalchemy import update

from response_network.catalog.models import Profile, RequestType
from response_network.search import IndexSchema, search_backend_for
from response_network.settings import ResponseSettings
from tests.response_network.requests.conftest import Master

BOOKS = [
    {"id": "1", "title": "The red pump", "year": 1990},
    {"id": "2", "title": "A blue pump", "year": 2005},
    {"id": "3", "title": "Pump OR * everything", "year": 2010},
]
TEMPLATE = {"bool": {"must": [{"match": {"title": {"param": "q"}}}]}}


async def test_a_template_request_is_answered_with_the_matching_documents(
    master: Master, response_settings: ResponseSettings
) -> None:
    index = search_backend_for(response_settings)
    await index.create_index(
        schema=IndexSchema(name="books", text_fields=("title",), filter_fields=("year",))
    )
    await index.load(index="books", documents=BOOKS)
    await index.close()
    async with master.runtime.unit_of_work() as uow:
        uow.session.add(
            RequestType(
                name="find-books",
                title="Find books",
                handler="search_template",
                handler_settings={"index": "books", "query": TEMPLATE},
                parameter_schema={"type": "object", "properties": {"q": {"type": "string"}}},
            )
        )
        await uow.session.execute(
            update(Profile).where(Profile.name == "default").values(max_results=2)
        )

    everything = await master.arrive("find-books", parameters={"q": "pump"})
    literal = await master.arrive("find-books", parameters={"q": 'red" OR *'})
    await master.answer()

    found = (await master.response(everything)).body
    assert (found["total"], len(found["hits"])) == (3, 2)  # capped by the profile
    assert len({hit["id"] for hit in found["hits"]}) == 2
    assert (await master.response(literal)).body == {"total": 0, "hits": []}
