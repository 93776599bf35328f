"""Every user-visible string of ours has a Chinese translation, and the committed .mo is what
the .po compiles to (no gettext needed on a fresh machine)."""

from io import StringIO

from django.core.management import call_command


def test_catalogue_is_complete_and_compiled():
    out = StringIO()
    call_command("translations", "--check", stdout=out)
    assert "all translated" in out.getvalue()


def test_blocktranslate_bodies_are_extracted_as_django_looks_them_up():
    from aidcenter.management.commands.translations import template_messages

    text = (
        "{% blocktranslate with year=y %}Month by month, {{ year }}{% endblocktranslate %}\n"
        "{% blocktranslate count n=c %}{{ n }} record{% plural %}{{ n }} records"
        "{% endblocktranslate %}\n"
        "{% blocktranslate trimmed with p=x %}\n  Up  to {{ p }}\n  100% sure\n"
        "{% endblocktranslate %}"
    )
    assert [m for m, _ in template_messages(text)] == [
        "Month by month, %(year)s",
        ("%(n)s record", "%(n)s records"),
        "Up  to %(p)s 100%% sure",
    ]


def test_a_blocktranslate_page_text_renders_in_chinese():
    from django.template import Context, Template
    from django.utils import translation

    template = Template(
        "{% load i18n %}{% blocktranslate with year=y %}Month by month, {{ year }}"
        "{% endblocktranslate %}|{% blocktranslate count n=c %}{{ n }} record{% plural %}"
        "{{ n }} records{% endblocktranslate %}"
    )
    with translation.override("zh-hans"):
        assert template.render(Context({"y": 2026, "c": 3})) == "2026 年月度趋势|共 3 条记录"
