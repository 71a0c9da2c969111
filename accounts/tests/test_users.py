from accounts.models import User


def test_a_chinese_name_reads_surname_first_without_a_space():
    assert str(User(username="wjg", first_name="建国", last_name="王")) == "王建国"


def test_a_western_name_reads_given_name_first():
    assert str(User(username="ms", first_name="Mary", last_name="Smith")) == "Mary Smith"


def test_a_user_without_a_name_shows_the_username():
    assert str(User(username="rep1")) == "rep1"
