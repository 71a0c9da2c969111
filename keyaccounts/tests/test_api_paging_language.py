"""The API's paging errors speak the request's language, as its other errors do."""

import pytest


@pytest.mark.parametrize(
    "params, field, chinese",
    [
        ({"page": "0"}, "page", "请填写不小于 1 的整数。"),
        ({"page_size": "0"}, "page_size", "请填写 1 至 200 之间的整数。"),
        ({"page": "999"}, "page", "页码只能到达列表的前"),
        ({"page": "1", "after": "x"}, "after", "after、before 和 page 只能给出其中一个"),
        ({"after": "zz"}, "after", "这不是此列表的游标"),
    ],
)
def test_a_paging_error_is_in_chinese_for_a_chinese_client(personas, api, params, field, chinese):
    client = api(personas.alice)
    response = client.get("/api/v1/accounts/", params, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 400
    (said,) = response.json()["errors"][field]
    assert said.startswith(chinese), said


def test_a_page_past_the_last_is_said_in_chinese(personas, api):
    response = api(personas.alice).get(
        "/api/v1/contacts/", {"page": "50"}, HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert response.status_code == 404
    assert response.json()["detail"] == "页码无效。"
