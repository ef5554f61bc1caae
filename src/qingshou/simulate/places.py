"""Places: the provinces, cities and districts a synthetic borrower lives in, with real division codes.

Each city carries its province, a tier (1 = 北上广深 … 3) that scales incomes, a weight for how many
borrowers live there, and a few districts with their six-digit administrative division codes (GB/T 2260),
which open the borrowers' ID numbers. The table is data, not a gazetteer: enough variety for regional
segmentation and realistic addresses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class District:
    """A district (区) and its six-digit administrative division code."""

    name: str
    code: str


@dataclass(frozen=True, slots=True)
class City:
    """A city with its province, income tier, population weight and districts."""

    province: str
    name: str
    tier: int
    weight: int
    districts: tuple[District, ...]

    @property
    def region(self) -> str:
        """The ``region`` column: ``province/city`` (a municipality repeats its name: ``北京市/北京市``)."""
        return f"{self.province}/{self.name}"

    @property
    def short(self) -> str:
        """The city's name without 市, as used in branch names (深圳分行)."""
        return self.name.removesuffix("市")

    @property
    def address_prefix(self) -> str:
        """Province and city as written at the start of an address (a municipality only once)."""
        return self.name if self.province == self.name else f"{self.province}{self.name}"


def _city(province: str, name: str, tier: int, weight: int, districts: str) -> City:
    """Build a city from ``"区名 code, 区名 code"``."""
    parsed = tuple(District(*item.split()) for item in districts.split(","))
    return City(province, name, tier, weight, parsed)


CITIES: Final = (
    _city(
        "北京市", "北京市", 1, 40, "东城区 110101, 西城区 110102, 朝阳区 110105, 丰台区 110106, 海淀区 110108"
    ),
    _city("上海市", "上海市", 1, 40, "黄浦区 310101, 徐汇区 310104, 闵行区 310112, 浦东新区 310115"),
    _city("广东省", "广州市", 1, 35, "越秀区 440104, 海珠区 440105, 天河区 440106, 白云区 440111"),
    _city(
        "广东省", "深圳市", 1, 35, "罗湖区 440303, 福田区 440304, 南山区 440305, 宝安区 440306, 龙岗区 440307"
    ),
    _city("天津市", "天津市", 2, 18, "和平区 120101, 河西区 120103, 南开区 120104"),
    _city("重庆市", "重庆市", 2, 28, "渝中区 500103, 江北区 500105, 沙坪坝区 500106, 九龙坡区 500107"),
    _city("浙江省", "杭州市", 2, 25, "上城区 330102, 拱墅区 330105, 西湖区 330106, 滨江区 330108"),
    _city("浙江省", "宁波市", 2, 12, "海曙区 330203, 江北区 330205, 鄞州区 330212"),
    _city("浙江省", "温州市", 3, 9, "鹿城区 330302, 龙湾区 330303"),
    _city("江苏省", "南京市", 2, 20, "玄武区 320102, 秦淮区 320104, 鼓楼区 320106"),
    _city("江苏省", "苏州市", 2, 20, "吴中区 320506, 相城区 320507, 姑苏区 320508"),
    _city("江苏省", "无锡市", 2, 10, "滨湖区 320211, 梁溪区 320213"),
    _city(
        "四川省", "成都市", 2, 30, "锦江区 510104, 青羊区 510105, 金牛区 510106, 武侯区 510107, 成华区 510108"
    ),
    _city("湖北省", "武汉市", 2, 24, "江岸区 420102, 江汉区 420103, 武昌区 420106, 洪山区 420111"),
    _city("陕西省", "西安市", 2, 20, "新城区 610102, 碑林区 610103, 雁塔区 610113"),
    _city("湖南省", "长沙市", 2, 16, "芙蓉区 430102, 天心区 430103, 岳麓区 430104, 开福区 430105"),
    _city("河南省", "郑州市", 2, 20, "中原区 410102, 二七区 410103, 金水区 410105"),
    _city("山东省", "济南市", 2, 12, "历下区 370102, 市中区 370103"),
    _city("山东省", "青岛市", 2, 14, "市南区 370202, 市北区 370203, 黄岛区 370211"),
    _city("福建省", "厦门市", 2, 9, "思明区 350203, 湖里区 350206"),
    _city("福建省", "福州市", 2, 10, "鼓楼区 350102, 台江区 350103"),
    _city("安徽省", "合肥市", 2, 14, "瑶海区 340102, 庐阳区 340103, 蜀山区 340104"),
    _city("广东省", "佛山市", 2, 12, "禅城区 440604, 南海区 440605"),
    _city("河北省", "石家庄市", 3, 12, "长安区 130102, 桥西区 130104, 新华区 130105"),
    _city("辽宁省", "沈阳市", 2, 12, "和平区 210102, 沈河区 210103"),
    _city("辽宁省", "大连市", 2, 8, "中山区 210202, 西岗区 210203"),
    _city("云南省", "昆明市", 3, 10, "五华区 530102, 盘龙区 530103"),
    _city("广西壮族自治区", "南宁市", 3, 9, "兴宁区 450102, 青秀区 450103"),
    _city("江西省", "南昌市", 3, 9, "东湖区 360102, 西湖区 360103"),
    _city("黑龙江省", "哈尔滨市", 3, 9, "道里区 230102, 南岗区 230103"),
    _city("吉林省", "长春市", 3, 8, "南关区 220102, 朝阳区 220104"),
    _city("山西省", "太原市", 3, 8, "小店区 140105, 迎泽区 140106"),
    _city("贵州省", "贵阳市", 3, 7, "南明区 520102, 云岩区 520103"),
    _city("甘肃省", "兰州市", 3, 5, "城关区 620102, 七里河区 620103"),
    _city("新疆维吾尔自治区", "乌鲁木齐市", 3, 4, "天山区 650102, 沙依巴克区 650103"),
    _city("内蒙古自治区", "呼和浩特市", 3, 4, "新城区 150102, 回民区 150103"),
)

ROADS: Final = (
    "人民路", "解放路", "中山路", "建设路", "和平路", "新华路", "长江路", "黄河路", "文化路", "胜利路",
    "东风路", "青年路", "朝阳路", "学府路", "科技路", "滨江路", "湖滨路", "幸福路", "友谊路", "光明路",
    "迎宾大道", "世纪大道", "创业路", "工业园路", "花园街", "团结街", "振兴路", "开发区大道",
)  # fmt: skip

ESTATES: Final = (
    "阳光花园", "锦绣家园", "翠苑小区", "金色港湾", "幸福里", "碧桂园", "万科城", "保利花园", "绿地新都会",
    "龙湖天街", "恒大名都", "职工宿舍", "新村", "世纪城", "御景湾", "润园",
)  # fmt: skip
