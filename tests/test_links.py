from precedent.links import Links


def test_links_escape_each_segment_and_drop_a_trailing_slash() -> None:
    links = Links("https://precedent.example.com/")
    assert links.home() == "https://precedent.example.com/ui/"
    assert links.investigation("inv-1") == "https://precedent.example.com/ui/investigations/inv-1"
    assert links.incident("INC-12") == "https://precedent.example.com/ui/incidents/INC-12"
    assert (
        links.incident_investigation("INC-12")
        == "https://precedent.example.com/ui/incidents/INC-12/investigation"
    )
    assert links.service("payments api/eu") == "https://precedent.example.com/ui/services/payments%20api%2Feu"
    assert links.team("Core/Payments") == "https://precedent.example.com/ui/teams/Core%2FPayments"
    assert links.api("v1/incidents") == "https://precedent.example.com/v1/incidents"
