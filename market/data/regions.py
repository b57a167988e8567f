"""Administrative divisions (GB/T 2260 six-digit codes): the districts and counties of 六安市,
plus a few neighbouring ones where agencies from outside the city are registered."""

REGIONS: list[tuple[str, str]] = [
    ("341502", "金安区"),
    ("341503", "裕安区"),
    ("341504", "叶集区"),
    ("341522", "霍邱县"),
    ("341523", "舒城县"),
    ("341524", "金寨县"),
    ("341525", "霍山县"),
    ("340102", "合肥市瑶海区"),
    ("340103", "合肥市庐阳区"),
    ("340104", "合肥市蜀山区"),
    ("340111", "合肥市包河区"),
    ("340422", "淮南市寿县"),
]
