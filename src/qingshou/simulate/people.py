"""People: synthetic borrowers — names, ID numbers, phones, addresses, employers, income, credit score.

Every draw comes from the ``random.Random`` handed in, so a chunk of borrowers is a pure function of its
seed. ID numbers follow GB 11643-1999: six-digit division code, birth date, three-digit sequence (odd for
men, even for women) and the ISO 7064 MOD 11-2 check digit. Each borrower also carries a latent
*willingness* to pay (a standard normal score) that the credit score reflects with noise and that the
behaviour model reads.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import accumulate
from typing import Final

from qingshou.simulate.places import CITIES, ESTATES, ROADS, City

_ID_WEIGHTS: Final = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK: Final = "10X98765432"

_SURNAMES: Final = (
    ("王", 71), ("李", 70), ("张", 66), ("刘", 54), ("陈", 45), ("杨", 31), ("黄", 22), ("赵", 20),
    ("吴", 20), ("周", 19), ("徐", 13), ("孙", 13), ("马", 11), ("朱", 11), ("胡", 10), ("郭", 10),
    ("何", 9), ("林", 9), ("高", 9), ("罗", 9), ("郑", 8), ("梁", 8), ("谢", 7), ("宋", 7), ("唐", 7),
    ("许", 6), ("韩", 6), ("冯", 6), ("邓", 6), ("曹", 6), ("彭", 5), ("曾", 5), ("肖", 5), ("田", 5),
    ("董", 5), ("潘", 4), ("袁", 4), ("蔡", 4), ("蒋", 4), ("余", 4), ("于", 4), ("杜", 4), ("叶", 4),
    ("程", 4), ("魏", 4), ("苏", 3), ("吕", 3), ("丁", 3), ("任", 3), ("卢", 3), ("姚", 3), ("沈", 3),
    ("钟", 3), ("姜", 3), ("崔", 3), ("谭", 3), ("陆", 3), ("范", 3), ("汪", 3), ("廖", 3), ("石", 3),
    ("金", 3), ("韦", 2), ("贾", 2), ("夏", 2), ("付", 2), ("方", 2), ("邹", 2), ("熊", 2), ("白", 2),
    ("孟", 2), ("秦", 2), ("邱", 2), ("侯", 2), ("江", 2), ("尹", 2), ("薛", 2), ("闫", 2), ("段", 2),
    ("雷", 2), ("龙", 2), ("黎", 2), ("史", 2), ("陶", 2), ("贺", 2), ("毛", 2), ("郝", 2), ("顾", 2),
    ("龚", 2), ("邵", 2), ("万", 1), ("覃", 1), ("武", 1), ("钱", 1), ("戴", 1), ("严", 1), ("欧阳", 1),
    ("上官", 1), ("司马", 1),
)  # fmt: skip
_SURNAME_NAMES: Final = tuple(name for name, _ in _SURNAMES)
_SURNAME_CUM: Final = tuple(accumulate(weight for _, weight in _SURNAMES))

_MALE_CHARS: Final = (
    "伟强磊军勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林阳建国峰亮成志文东海晨博翔宏振洋毅昊轩睿泽皓"
)
_FEMALE_CHARS: Final = (
    "芳娜敏静丽艳娟霞燕玲英红梅琳婷雪慧颖倩洁琴云莉萍欣佳月萱怡瑶璐晶妍诗雨涵梓思悦婉蕾薇丹"
)

_MOBILE_PREFIXES: Final = (
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151", "152", "153",
    "155", "156", "157", "158", "159", "166", "173", "175", "176", "177", "178", "180", "181", "182",
    "183", "184", "185", "186", "187", "188", "189", "191", "198", "199",
)  # fmt: skip

_BRANDS: Final = "华鑫恒盛达宏瑞博新联天中金源创信安泰嘉和启航德润通远卓越"
_INDUSTRIES: Final = (
    "科技", "贸易", "建设工程", "物流", "餐饮管理", "电子", "机械制造", "信息技术", "医药", "教育咨询",
    "房地产开发", "服装", "物业管理", "汽车销售", "食品", "装饰工程", "网络科技", "文化传媒",
)  # fmt: skip
_SELF_EMPLOYED: Final = ("个体经营", "自由职业", "个体工商户", "网店店主")
_INSTITUTIONS: Final = (
    "{city}第{n}人民医院", "{city}第{n}中学", "{city}第{n}小学", "中国邮政集团有限公司{short}市分公司",
    "国网{short}供电公司", "{city}公共交通集团有限公司", "{city}自来水有限公司",
)  # fmt: skip

_CITY_CUM: Final = tuple(accumulate(city.weight for city in CITIES))
_TIER_MEDIAN_INCOME: Final = {1: 11000, 2: 7500, 3: 5500}
_MIN_AGE, _MODE_AGE, _MAX_AGE = 20, 32, 62


@dataclass(frozen=True, slots=True)
class Borrower:
    """A synthetic borrower. ``monthly_income`` in whole yuan; ``willingness`` is the latent N(0, 1) score."""

    borrower_id: str
    name: str
    id_number: str
    phone: str
    address: str
    city: City
    employer: str
    monthly_income: int
    credit_score: int
    birth_date: date
    willingness: float


def id_check_digit(first17: str) -> str:
    """The GB 11643 check character (ISO 7064 MOD 11-2) of the first 17 digits of an ID number."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def is_valid_id_number(id_number: str) -> bool:
    """Whether an 18-character ID number has digits, a real birth date shape and the right check digit."""
    if len(id_number) != 18 or not id_number[:17].isdigit():
        return False
    return id_check_digit(id_number[:17]) == id_number[17]


def draw_id_number(rng: random.Random, division_code: str, birth_date: date, male: bool) -> str:
    """An 18-digit ID number for a person born on ``birth_date`` and registered in ``division_code``."""
    sequence = rng.randrange(0, 500) * 2 + (1 if male else 0)
    first17 = f"{division_code}{birth_date:%Y%m%d}{sequence:03d}"
    return first17 + id_check_digit(first17)


def draw_name(rng: random.Random, male: bool) -> str:
    """A Chinese name: a surname drawn by frequency and one or two given-name characters."""
    surname = rng.choices(_SURNAME_NAMES, cum_weights=_SURNAME_CUM)[0]
    chars = _MALE_CHARS if male else _FEMALE_CHARS
    given = rng.choice(chars) + (rng.choice(chars) if rng.random() < 0.6 else "")
    return surname + given


def draw_phone(rng: random.Random) -> str:
    """An 11-digit mainland mobile number with a real operator prefix."""
    return rng.choice(_MOBILE_PREFIXES) + f"{rng.randrange(100_000_000):08d}"


def draw_address(rng: random.Random, city: City, district_name: str) -> str:
    """A street address in ``city``: road, number, estate, building, unit and room."""
    road = rng.choice(ROADS)
    estate = rng.choice(ESTATES)
    building, unit, room = rng.randint(1, 30), rng.randint(1, 4), rng.randint(1, 33) * 100 + rng.randint(1, 4)
    return (
        f"{city.address_prefix}{district_name}{road}{rng.randint(1, 999)}号{estate}"
        f"{building}栋{unit}单元{room}室"
    )


def draw_employer(rng: random.Random, city: City) -> str:
    """An employer: a company in the borrower's city, a public institution, or self-employment."""
    pick = rng.random()
    if pick < 0.15:
        return rng.choice(_SELF_EMPLOYED)
    if pick < 0.30:
        template = rng.choice(_INSTITUTIONS)
        return template.format(city=city.name, short=city.short, n=rng.randint(1, 9))
    brand = rng.choice(_BRANDS) + rng.choice(_BRANDS)
    return f"{city.name}{brand}{rng.choice(_INDUSTRIES)}有限公司"


def draw_income(rng: random.Random, tier: int, willingness: float) -> int:
    """Monthly income in whole yuan (multiples of 100): log-normal around the tier median."""
    median = _TIER_MEDIAN_INCOME[tier] * math.exp(0.12 * willingness)
    income = int(rng.lognormvariate(math.log(median), 0.55))
    return max(2500, min(150_000, income)) // 100 * 100


def draw_credit_score(rng: random.Random, willingness: float) -> int:
    """A credit score on a 350–950 scale that reflects the latent willingness with noise."""
    score = round(650 + 85 * willingness + rng.gauss(0, 35))
    return max(350, min(950, score))


def draw_birth_date(rng: random.Random, as_of: date) -> date:
    """A birth date giving an age of 20–62 years on ``as_of`` (most borrowers in their thirties)."""
    age_days = int(rng.triangular(_MIN_AGE, _MAX_AGE, _MODE_AGE) * 365.25)
    return as_of - timedelta(days=age_days)


def draw_borrower(rng: random.Random, borrower_id: str, as_of: date) -> Borrower:
    """One borrower: where they live, who they are, what they earn, how willing they are to pay."""
    city = rng.choices(CITIES, cum_weights=_CITY_CUM)[0]
    district = rng.choice(city.districts)
    birth_city = city if rng.random() < 0.7 else rng.choices(CITIES, cum_weights=_CITY_CUM)[0]
    male = rng.random() < 0.55
    birth_date = draw_birth_date(rng, as_of)
    willingness = rng.gauss(0, 1)
    return Borrower(
        borrower_id=borrower_id,
        name=draw_name(rng, male),
        id_number=draw_id_number(rng, rng.choice(birth_city.districts).code, birth_date, male),
        phone=draw_phone(rng),
        address=draw_address(rng, city, district.name),
        city=city,
        employer=draw_employer(rng, city),
        monthly_income=draw_income(rng, city.tier, willingness),
        credit_score=draw_credit_score(rng, willingness),
        birth_date=birth_date,
        willingness=willingness,
    )
