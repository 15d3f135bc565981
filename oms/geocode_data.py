"""Bundled coordinates for the offline geocoding fallback in ``oms.geocode``.

Plain data, standard library only, no network. Everything here is an approximate,
population-weighted centre, good enough to rank warehouses by distance when an
address arrives without latitude/longitude; none of it is a precise location.

- ``US_ZIP3``: 3-digit ZIP prefix -> population-weighted centre of the places the prefix
  serves (the comment names the post-office city most common among the prefix's ZIP
  codes). Military (APO/FPO) prefixes are left out: they have no fixed location. Prefix
  969 is Guam's share only; American Samoa's single ZIP code (in 967) is left out of
  Hawaii's centre.
- ``US_STATES``: state (and DC) -> population centre.
- ``CITIES``: (ISO country, normalised city name) -> city centre. Keys are already
  normalised the way ``oms.geocode.normalise_city`` does it (lowercase ASCII, single
  spaces, "st"/"st." spelled "saint"). Aliases (other spellings, local names) are
  separate keys with the same coordinates.
- ``US_CITY_STATES``: the state of every US key in ``CITIES``, so a city name that
  exists in several states is not trusted against a contradicting state.
- ``US_CITY_ALTERNATES``: (state, normalised name) for notable same-named cities in other
  states (Portland, ME; Springfield, IL; Kansas City, KS ...).
- ``US_STATE_NAMES``: lowercase state name -> state code.
- ``COUNTRIES``: ISO 3166-1 alpha-2 -> population-weighted centre (Kosovo as XK).
- ``COUNTRY_ALIASES``: normalised English or local country name, or ISO alpha-3 code ->
  alpha-2 code.

Derived from GeoNames populated places (geonames.org, CC BY 4.0) and the USPS ZIP list
as packaged by the MIT-licensed ``zipcodes`` project: each populated place was assigned
to the ZIP prefix of its nearest ZIP code and the prefix centre is the population-weighted
mean of its places. Regenerating is not expected; add or correct entries by hand.
"""

from __future__ import annotations

US_ZIP3: dict[str, tuple[float, float]] = {
    "005": (40.8154, -73.0451),  # Holtsville, NY
    "006": (18.3150, -66.8098),  # Aguadilla, PR
    "007": (18.1459, -66.1463),  # Ponce, PR
    "008": (17.9503, -64.8048),  # St Thomas, VI
    "009": (18.4187, -66.0954),  # San Juan, PR
    "010": (42.2103, -72.5702),  # Chicopee, MA
    "011": (42.0982, -72.5936),  # Springfield, MA
    "012": (42.4416, -73.2242),  # Pittsfield, MA
    "013": (42.5895, -72.5374),  # Greenfield, MA
    "014": (42.5664, -71.8246),  # Fitchburg, MA
    "015": (42.2087, -71.7930),  # Auburn, MA
    "016": (42.2630, -71.8030),  # Worcester, MA
    "017": (42.3253, -71.4394),  # Framingham, MA
    "018": (42.6292, -71.2096),  # Lowell, MA
    "019": (42.5530, -70.9052),  # Lynn, MA
    "020": (42.1431, -71.1401),  # Dedham, MA
    "021": (42.3451, -71.0661),  # Boston, MA
    "022": (42.3329, -71.0626),  # Boston, MA
    "023": (42.0534, -70.9487),  # Brockton, MA
    "024": (42.3547, -71.1967),  # Waltham, MA
    "025": (41.5945, -70.5456),  # Buzzards Bay, MA
    "026": (41.6988, -70.2456),  # Centerville, MA
    "027": (41.7709, -71.0917),  # New Bedford, MA
    "028": (41.7125, -71.4588),  # Warwick, RI
    "029": (41.8213, -71.4314),  # Providence, RI
    "030": (42.8329, -71.4183),  # Nashua, NH
    "031": (42.9925, -71.4650),  # Manchester, NH
    "032": (43.4176, -71.5591),  # Laconia, NH
    "033": (43.2217, -71.5415),  # Concord, NH
    "034": (42.8910, -72.2245),  # Keene, NH
    "035": (44.4626, -71.4835),  # Littleton, NH
    "036": (43.1792, -72.3580),  # Acworth, NH
    "037": (43.6067, -72.2196),  # Lebanon, NH
    "038": (43.1626, -70.9605),  # Rochester, NH
    "039": (43.1742, -70.7143),  # Berwick, ME
    "040": (43.6165, -70.4822),  # Biddeford, ME
    "041": (43.6524, -70.2654),  # Portland, ME
    "042": (44.1932, -70.2759),  # Auburn, ME
    "043": (44.3005, -69.7745),  # Augusta, ME
    "044": (44.9272, -68.7876),  # Bangor, ME
    "045": (43.9501, -69.6694),  # Bath, ME
    "046": (44.5957, -67.9954),  # Ellsworth, ME
    "047": (46.6990, -68.0746),  # Houlton, ME
    "048": (44.1532, -69.1173),  # Rockland, ME
    "049": (44.6599, -69.5700),  # Waterville, ME
    "050": (43.6978, -72.3856),  # White River Junction, VT
    "051": (43.2312, -72.5446),  # Bellows Falls, VT
    "052": (42.9218, -73.1851),  # Bennington, VT
    "053": (42.8909, -72.6086),  # Brattleboro, VT
    "054": (44.4880, -73.1497),  # Burlington, VT
    "055": (42.6472, -71.1842),  # Andover, MA
    "056": (44.3207, -72.5941),  # Montpelier, VT
    "057": (43.6680, -73.0589),  # Rutland, VT
    "058": (44.6031, -72.0751),  # Barton, VT
    "059": (44.4801, -71.6617),  # Averill, VT
    "060": (41.8041, -72.7071),  # New Britain, CT
    "061": (41.7558, -72.6858),  # Hartford, CT
    "062": (41.7817, -72.1220),  # Willimantic, CT
    "063": (41.4575, -72.0546),  # Groton, CT
    "064": (41.4006, -72.8598),  # Meriden, CT
    "065": (41.3171, -72.9221),  # New Haven, CT
    "066": (41.1921, -73.1826),  # Bridgeport, CT
    "067": (41.6236, -73.0957),  # Waterbury, CT
    "068": (41.1809, -73.4238),  # Norwalk, CT
    "069": (41.0945, -73.5410),  # Stamford, CT
    "070": (40.7644, -74.1994),  # Clifton, NJ
    "071": (40.7463, -74.1789),  # Newark, NJ
    "072": (40.6671, -74.2225),  # Elizabeth, NJ
    "073": (40.7282, -74.0776),  # Jersey City, NJ
    "074": (41.0146, -74.2201),  # Mahwah, NJ
    "075": (40.9222, -74.1735),  # Paterson, NJ
    "076": (40.9189, -74.0217),  # Hackensack, NJ
    "077": (40.3249, -74.1202),  # Eatontown, NJ
    "078": (40.9116, -74.6564),  # Dover, NJ
    "079": (40.7507, -74.4547),  # Morristown, NJ
    "080": (39.8493, -74.9544),  # Cherry Hill, NJ
    "081": (39.9301, -75.0940),  # Camden, NJ
    "082": (39.2665, -74.6476),  # Absecon, NJ
    "083": (39.4616, -75.0523),  # Vineland, NJ
    "084": (39.3550, -74.4435),  # Atlantic City, NJ
    "085": (40.2908, -74.6232),  # Princeton, NJ
    "086": (40.2182, -74.7215),  # Trenton, NJ
    "087": (40.0119, -74.1794),  # Toms River, NJ
    "088": (40.5045, -74.4673),  # Edison, NJ
    "089": (40.4747, -74.4613),  # New Brunswick, NJ
    "100": (40.7293, -73.9974),  # New York, NY
    "101": (40.7971, -73.9683),  # New York, NY
    "102": (40.7115, -74.0162),  # New York, NY
    "103": (40.5731, -74.1377),  # Staten Island, NY
    "104": (40.8503, -73.8726),  # Bronx, NY
    "105": (41.0958, -73.7935),  # Mount Vernon, NY
    "106": (41.0345, -73.7646),  # White Plains, NY
    "107": (40.9355, -73.8863),  # Yonkers, NY
    "108": (40.9145, -73.7875),  # New Rochelle, NY
    "109": (41.2123, -74.0992),  # Middletown, NY
    "110": (40.7525, -73.6973),  # Great Neck, NY
    "111": (40.7619, -73.9332),  # Astoria, NY
    "112": (40.6471, -73.9504),  # Brooklyn, NY
    "113": (40.7396, -73.8582),  # Flushing, NY
    "114": (40.6841, -73.8280),  # Jamaica, NY
    "115": (40.6961, -73.6311),  # Garden City, NY
    "116": (40.5943, -73.7907),  # Far Rockaway, NY
    "117": (40.7925, -73.2668),  # Amityville, NY
    "118": (40.7709, -73.4990),  # Hicksville, NY
    "119": (40.8868, -72.6618),  # Southampton, NY
    "120": (42.8500, -73.9620),  # Alcove, NY
    "121": (42.7621, -73.8180),  # Troy, NY
    "122": (42.6706, -73.7734),  # Albany, NY
    "123": (42.8078, -73.9435),  # Schenectady, NY
    "124": (41.9395, -74.1013),  # Kingston, NY
    "125": (41.6531, -73.9663),  # Newburgh, NY
    "126": (41.6950, -73.9140),  # Poughkeepsie, NY
    "127": (41.6309, -74.6715),  # Cochecton, NY
    "128": (43.2830, -73.6601),  # Newcomb, NY
    "129": (44.5507, -73.7543),  # Keeseville, NY
    "130": (43.0604, -76.2163),  # Liverpool, NY
    "131": (43.1681, -76.4143),  # Mc Graw, NY
    "132": (43.0547, -76.1566),  # Syracuse, NY
    "133": (43.0242, -75.1778),  # Alder Creek, NY
    "134": (43.1321, -75.3716),  # Rome, NY
    "135": (43.1009, -75.2327),  # Utica, NY
    "136": (44.3061, -75.5544),  # Watertown, NY
    "137": (42.1227, -75.8689),  # Endicott, NY
    "138": (42.2739, -75.6801),  # Vestal, NY
    "139": (42.0999, -75.9172),  # Binghamton, NY
    "140": (42.8879, -78.7593),  # Batavia, NY
    "141": (42.9843, -78.7916),  # Tonawanda, NY
    "142": (42.9085, -78.8322),  # Buffalo, NY
    "143": (43.0945, -79.0567),  # Niagara Falls, NY
    "144": (43.0182, -77.6016),  # Adams Basin, NY
    "145": (42.9805, -77.4512),  # Macedon, NY
    "146": (43.1664, -77.6126),  # Rochester, NY
    "147": (42.1492, -78.9474),  # Jamestown, NY
    "148": (42.3009, -76.9353),  # Ithaca, NY
    "149": (42.0864, -76.8150),  # Elmira, NY
    "150": (40.4618, -80.0155),  # Warrendale, PA
    "151": (40.4404, -79.9253),  # Mckeesport, PA
    "152": (40.4289, -79.9848),  # Pittsburgh, PA
    "153": (40.1386, -80.1427),  # Washington, PA
    "154": (39.9633, -79.7657),  # Uniontown, PA
    "155": (39.9781, -78.8863),  # Somerset, PA
    "156": (40.3468, -79.5536),  # Greensburg, PA
    "157": (40.6825, -79.0282),  # Indiana, PA
    "158": (41.2798, -78.7097),  # Du Bois, PA
    "159": (40.3333, -78.8705),  # Johnstown, PA
    "160": (40.7904, -80.0159),  # Butler, PA
    "161": (41.1272, -80.3703),  # New Castle, PA
    "162": (41.0400, -79.4137),  # Kittanning, PA
    "163": (41.5989, -79.7150),  # Oil City, PA
    "164": (41.9230, -80.0620),  # Albion, PA
    "165": (42.1319, -80.0740),  # Erie, PA
    "166": (40.5135, -78.3612),  # Altoona, PA
    "167": (41.8580, -78.5570),  # Bradford, PA
    "168": (40.8706, -77.9628),  # State College, PA
    "169": (41.8184, -77.3274),  # Genesee, PA
    "170": (40.3222, -76.8412),  # Camp Hill, PA
    "171": (40.2819, -76.8457),  # Harrisburg, PA
    "172": (39.8773, -77.6279),  # Chambersburg, PA
    "173": (39.8686, -76.8735),  # Abbottstown, PA
    "174": (39.9652, -76.7248),  # York, PA
    "175": (40.0982, -76.2896),  # Akron, PA
    "176": (40.0379, -76.3055),  # Lancaster, PA
    "177": (41.2214, -77.0863),  # Williamsport, PA
    "178": (40.9046, -76.6818),  # Beaver Springs, PA
    "179": (40.7040, -76.2270),  # Pottsville, PA
    "180": (40.6466, -75.4111),  # Bethlehem, PA
    "181": (40.6069, -75.4919),  # Allentown, PA
    "182": (40.9139, -75.9026),  # Hazleton, PA
    "183": (41.0760, -75.2160),  # East Stroudsburg, PA
    "184": (41.4885, -75.5063),  # Archbald, PA
    "185": (41.4056, -75.6701),  # Scranton, PA
    "186": (41.2628, -75.9431),  # Pittston, PA
    "187": (41.2485, -75.8870),  # Wilkes Barre, PA
    "188": (41.9105, -76.2365),  # Montrose, PA
    "189": (40.3196, -75.1905),  # Doylestown, PA
    "190": (40.0267, -75.1824),  # Levittown, PA
    "191": (39.9759, -75.1539),  # Philadelphia, PA
    "192": (40.0018, -75.1179),  # Philadelphia, PA
    "193": (39.9456, -75.7162),  # West Chester, PA
    "194": (40.1699, -75.4263),  # Valley Forge, PA
    "195": (40.3692, -75.8515),  # Adamstown, PA
    "196": (40.3384, -75.9349),  # Reading, PA
    "197": (39.6490, -75.6994),  # Newark, DE
    "198": (39.7358, -75.5755),  # Wilmington, DE
    "199": (38.9599, -75.4728),  # Dover, DE
    "200": (38.9134, -77.0167),  # Washington, DC
    "201": (38.9127, -77.4741),  # Manassas, VA
    "202": (38.8933, -77.0146),  # Washington, DC
    "203": (38.8951, -77.0364),  # Washington Navy Yard, DC
    "204": (38.8953, -77.0219),  # Washington, DC
    "205": (38.8946, -77.0355),  # Washington, DC
    "206": (38.5722, -76.8376),  # Waldorf, MD
    "207": (38.9272, -76.8728),  # Laurel, MD
    "208": (39.0978, -77.1639),  # Gaithersburg, MD
    "209": (39.0328, -77.0306),  # Silver Spring, MD
    "210": (39.3326, -76.5882),  # Ellicott City, MD
    "211": (39.2110, -76.6530),  # Pasadena, MD
    "212": (39.3081, -76.6140),  # Baltimore, MD
    "214": (38.9838, -76.4988),  # Annapolis, MD
    "215": (39.6161, -78.8832),  # Cumberland, MD
    "216": (38.8553, -76.0753),  # Easton, MD
    "217": (39.4805, -77.4397),  # Frederick, MD
    "218": (38.3227, -75.4493),  # Salisbury, MD
    "219": (39.5843, -75.9703),  # Elkton, MD
    "220": (38.8285, -77.2410),  # Fairfax, VA
    "221": (38.7630, -77.2448),  # Springfield, VA
    "222": (38.8817, -77.1029),  # Arlington, VA
    "223": (38.7927, -77.0724),  # Alexandria, VA
    "224": (38.2792, -77.4099),  # Fredericksburg, VA
    "225": (38.2933, -77.3206),  # Stafford, VA
    "226": (39.0551, -78.2061),  # Winchester, VA
    "227": (38.4903, -77.9729),  # Culpeper, VA
    "228": (38.4866, -78.8116),  # Harrisonburg, VA
    "229": (38.0498, -78.5806),  # Charlottesville, VA
    "230": (37.5987, -77.3419),  # Glen Allen, VA
    "231": (37.4983, -77.3541),  # Midlothian, VA
    "232": (37.5547, -77.4765),  # Richmond, VA
    "233": (37.4375, -75.9819),  # Chesapeake, VA
    "234": (36.8321, -76.1461),  # Virginia Beach, VA
    "235": (36.8330, -76.2801),  # Norfolk, VA
    "236": (37.0155, -76.3743),  # Newport News, VA
    "237": (36.8281, -76.3341),  # Portsmouth, VA
    "238": (37.1936, -77.3680),  # Petersburg, VA
    "239": (37.0043, -78.3110),  # Farmville, VA
    "240": (37.2202, -80.0894),  # Roanoke, VA
    "241": (37.0793, -80.1302),  # Martinsville, VA
    "242": (36.7792, -82.3789),  # Bristol, VA
    "243": (36.8492, -81.1547),  # Pulaski, VA
    "244": (38.0165, -79.2488),  # Staunton, VA
    "245": (37.2120, -79.2064),  # Lynchburg, VA
    "246": (37.1450, -81.6016),  # Amonate, VA
    "247": (37.3174, -81.1894),  # Princeton, WV
    "248": (37.5201, -81.5954),  # Welch, WV
    "249": (37.7886, -80.4338),  # White Sulphur Springs, WV
    "250": (38.3225, -81.6745),  # Alloy, WV
    "251": (38.4395, -81.7815),  # Handley, WV
    "252": (38.8195, -81.7340),  # Tad, WV
    "253": (38.3629, -81.6544),  # Charleston, WV
    "254": (39.3838, -77.9160),  # Martinsburg, WV
    "255": (38.3993, -82.1553),  # Alkol, WV
    "256": (37.7472, -82.0283),  # Logan, WV
    "257": (38.4185, -82.4335),  # Huntington, WV
    "258": (37.8153, -81.1803),  # Beckley, WV
    "259": (37.8283, -81.1275),  # Oak Hill, WV
    "260": (40.2294, -80.6394),  # Wheeling, WV
    "261": (39.3100, -81.4595),  # Parkersburg, WV
    "262": (38.8250, -80.0779),  # Buckhannon, WV
    "263": (39.2735, -80.3300),  # Clarksburg, WV
    "264": (39.2396, -80.3697),  # Meadowbrook, WV
    "265": (39.5774, -80.0092),  # Morgantown, WV
    "266": (38.3984, -80.8011),  # Sutton, WV
    "267": (39.4302, -78.8555),  # Augusta, WV
    "268": (38.9814, -79.0811),  # Baker, WV
    "270": (36.2296, -80.4190),  # Mount Airy, NC
    "271": (36.0939, -80.2547),  # Winston Salem, NC
    "272": (35.9908, -79.7878),  # High Point, NC
    "273": (35.8751, -79.6853),  # Sanford, NC
    "274": (36.0726, -79.7920),  # Greensboro, NC
    "275": (35.7825, -78.6799),  # Cary, NC
    "276": (35.7782, -78.6490),  # Raleigh, NC
    "277": (35.9942, -78.8983),  # Durham, NC
    "278": (35.8200, -77.5819),  # Greenville, NC
    "279": (36.1031, -76.2137),  # Elizabeth City, NC
    "280": (35.3474, -80.8528),  # Gastonia, NC
    "281": (35.2765, -80.7509),  # Salisbury, NC
    "282": (35.2220, -80.8368),  # Charlotte, NC
    "283": (35.0298, -78.9876),  # Fayetteville, NC
    "284": (34.2208, -77.9977),  # Wilmington, NC
    "285": (34.9512, -77.2284),  # New Bern, NC
    "286": (35.8634, -81.3313),  # Hickory, NC
    "287": (35.4416, -82.6029),  # Hendersonville, NC
    "288": (35.6009, -82.5560),  # Asheville, NC
    "289": (35.1372, -83.9146),  # Andrews, NC
    "290": (33.9937, -81.0043),  # Lexington, SC
    "291": (33.9086, -80.8169),  # Sumter, SC
    "292": (34.0170, -81.0507),  # Columbia, SC
    "293": (34.8877, -81.9056),  # Spartanburg, SC
    "294": (32.8780, -79.9850),  # Charleston, SC
    "295": (33.9676, -79.2726),  # Myrtle Beach, SC
    "296": (34.7352, -82.4424),  # Greenville, SC
    "297": (34.9216, -81.0028),  # Fort Mill, SC
    "298": (33.4922, -81.7616),  # Aiken, SC
    "299": (32.3079, -80.7850),  # Beaufort, SC
    "300": (33.9124, -84.2440),  # Marietta, GA
    "301": (33.9818, -84.7852),  # Rome, GA
    "302": (33.4345, -84.5216),  # Newnan, GA
    "303": (33.7924, -84.3777),  # Atlanta, GA
    "304": (32.3950, -82.0933),  # Statesboro, GA
    "305": (34.3174, -83.7670),  # Gainesville, GA
    "306": (33.9395, -83.3755),  # Athens, GA
    "307": (34.7703, -85.1103),  # Dalton, GA
    "308": (33.4421, -82.2412),  # Appling, GA
    "309": (33.4918, -82.0209),  # Augusta, GA
    "310": (32.6047, -83.4681),  # Warner Robins, GA
    "311": (33.8161, -84.4308),  # Atlanta, GA
    "312": (32.8407, -83.6324),  # Macon, GA
    "313": (31.9815, -81.4146),  # Hinesville, GA
    "314": (32.0634, -81.0985),  # Savannah, GA
    "315": (31.1884, -81.8672),  # Brunswick, GA
    "316": (30.9198, -83.2745),  # Valdosta, GA
    "317": (31.4825, -83.9539),  # Albany, GA
    "318": (32.4993, -84.7434),  # Box Springs, GA
    "319": (32.4611, -84.9877),  # Columbus, GA
    "320": (30.1702, -81.7383),  # Saint Augustine, FL
    "321": (29.2377, -81.2280),  # Daytona Beach, FL
    "322": (30.3140, -81.6452),  # Jacksonville, FL
    "323": (30.4126, -84.2859),  # Tallahassee, FL
    "324": (30.3016, -85.7152),  # Panama City, FL
    "325": (30.4861, -87.0312),  # Pensacola, FL
    "326": (29.6427, -82.3848),  # Gainesville, FL
    "327": (28.7515, -81.3178),  # Titusville, FL
    "328": (28.5168, -81.3595),  # Orlando, FL
    "329": (28.0493, -80.5866),  # Vero Beach, FL
    "330": (25.9386, -80.2813),  # Pompano Beach, FL
    "331": (25.7633, -80.2674),  # Miami, FL
    "332": (25.7539, -80.3700),  # Miami, FL
    "333": (26.1271, -80.2069),  # Fort Lauderdale, FL
    "334": (26.6164, -80.1401),  # West Palm Beach, FL
    "335": (28.0057, -82.3039),  # Plant City, FL
    "336": (27.9956, -82.4776),  # Tampa, FL
    "337": (27.8449, -82.7288),  # Saint Petersburg, FL
    "338": (28.0010, -81.7892),  # Lakeland, FL
    "339": (26.6447, -81.8878),  # Fort Myers, FL
    "341": (26.2090, -81.7053),  # Naples, FL
    "342": (27.2830, -82.4548),  # Sarasota, FL
    "344": (29.0089, -82.2962),  # Ocala, FL
    "346": (28.2697, -82.6414),  # Brooksville, FL
    "347": (28.4405, -81.5522),  # Kissimmee, FL
    "349": (27.3023, -80.3450),  # Fort Pierce, FL
    "350": (33.4778, -86.7069),  # Bessemer, AL
    "351": (33.4788, -86.6260),  # Pell City, AL
    "352": (33.4946, -86.7833),  # Birmingham, AL
    "354": (33.1925, -87.6027),  # Tuscaloosa, AL
    "355": (33.9689, -87.6635),  # Jasper, AL
    "356": (34.6911, -87.3462),  # Decatur, AL
    "357": (34.7333, -86.5124),  # Madison, AL
    "358": (34.7300, -86.5865),  # Huntsville, AL
    "359": (34.1636, -86.0257),  # Gadsden, AL
    "360": (32.2363, -86.1306),  # Prattville, AL
    "361": (32.3687, -86.2966),  # Montgomery, AL
    "362": (33.6322, -85.7752),  # Anniston, AL
    "363": (31.2774, -85.5561),  # Dothan, AL
    "364": (31.2941, -86.7850),  # Andalusia, AL
    "365": (30.6545, -87.8784),  # Atmore, AL
    "366": (30.6930, -88.0571),  # Mobile, AL
    "367": (32.4004, -87.3055),  # Selma, AL
    "368": (32.6156, -85.3086),  # Opelika, AL
    "369": (32.3159, -88.2527),  # Bellamy, AL
    "370": (36.2231, -86.8814),  # Franklin, TN
    "371": (35.9634, -86.5394),  # Murfreesboro, TN
    "372": (36.1643, -86.7852),  # Nashville, TN
    "373": (35.2495, -85.3443),  # Cleveland, TN
    "374": (35.0532, -85.2727),  # Chattanooga, TN
    "375": (35.1594, -90.0195),  # Memphis, TN
    "376": (36.4232, -82.4124),  # Johnson City, TN
    "377": (36.0367, -83.9240),  # Greeneville, TN
    "378": (36.0222, -83.7947),  # Maryville, TN
    "379": (35.9528, -83.9447),  # Knoxville, TN
    "380": (35.3440, -89.6351),  # Cordova, TN
    "381": (35.1207, -90.0383),  # Memphis, TN
    "382": (36.3056, -88.7577),  # Union City, TN
    "383": (35.6394, -88.6548),  # Jackson, TN
    "384": (35.4386, -87.1739),  # Columbia, TN
    "385": (36.1206, -85.3390),  # Crossville, TN
    "386": (34.7388, -89.8876),  # Marks, MS
    "387": (33.5176, -90.8540),  # Greenville, MS
    "388": (34.3691, -88.6621),  # Tupelo, MS
    "389": (33.7282, -89.9756),  # Greenwood, MS
    "390": (32.4191, -90.0796),  # Brandon, MS
    "391": (32.3169, -90.4355),  # Vicksburg, MS
    "392": (32.2875, -90.1786),  # Jackson, MS
    "393": (32.4469, -88.8211),  # Meridian, MS
    "394": (31.2356, -89.3895),  # Hattiesburg, MS
    "395": (30.4010, -88.9586),  # Gulfport, MS
    "396": (31.3539, -90.5064),  # Brookhaven, MS
    "397": (33.5178, -88.6517),  # Columbus, MS
    "398": (31.2315, -84.5930),  # Bainbridge, GA
    "399": (33.7512, -84.3944),  # Atlanta, GA
    "400": (38.1494, -85.4012),  # Shelbyville, KY
    "401": (37.9362, -85.8922),  # Fort Knox, KY
    "402": (38.2349, -85.7366),  # Louisville, KY
    "403": (38.0359, -84.4287),  # Nicholasville, KY
    "404": (37.6451, -84.4364),  # Danville, KY
    "405": (38.0190, -84.4683),  # Lexington, KY
    "406": (38.2009, -84.8733),  # Frankfort, KY
    "407": (36.9733, -84.1068),  # London, KY
    "408": (36.8864, -83.1806),  # Ages Brookside, KY
    "409": (36.7265, -83.7540),  # Arjay, KY
    "410": (38.9843, -84.5291),  # Covington, KY
    "411": (38.4237, -82.7147),  # Ashland, KY
    "412": (37.9001, -82.7200),  # Adams, KY
    "413": (37.5776, -83.5103),  # Campton, KY
    "414": (37.8856, -83.1786),  # Cannel City, KY
    "415": (37.4331, -82.4938),  # Pikeville, KY
    "416": (37.6195, -82.7471),  # Allen, KY
    "417": (37.2441, -83.2043),  # Hazard, KY
    "418": (37.2049, -82.8135),  # Blackey, KY
    "420": (36.9084, -88.5330),  # Paducah, KY
    "421": (36.9537, -86.3211),  # Bowling Green, KY
    "422": (36.8144, -87.3500),  # Hopkinsville, KY
    "423": (37.6207, -87.0586),  # Owensboro, KY
    "424": (37.5416, -87.6323),  # Henderson, KY
    "425": (37.1192, -84.6501),  # Somerset, KY
    "426": (36.8383, -84.8508),  # Albany, KY
    "427": (37.4902, -85.7597),  # Elizabethtown, KY
    "430": (40.1238, -82.8908),  # Westerville, OH
    "431": (39.7668, -82.9242),  # Adelphi, OH
    "432": (39.9644, -82.9939),  # Columbus, OH
    "433": (40.5579, -83.3745),  # Marion, OH
    "434": (41.5941, -83.4956),  # Bowling Green, OH
    "435": (41.5120, -84.0168),  # Perrysburg, OH
    "436": (41.6402, -83.5069),  # Toledo, OH
    "437": (39.9037, -81.8451),  # Zanesville, OH
    "438": (40.2610, -81.8223),  # Adamsville, OH
    "439": (40.3229, -80.7048),  # Steubenville, OH
    "440": (41.5184, -81.6953),  # Lorain, OH
    "441": (41.4644, -81.6711),  # Cleveland, OH
    "442": (41.1219, -81.5417),  # Cuyahoga Falls, OH
    "443": (41.0832, -81.5323),  # Akron, OH
    "444": (41.1357, -80.7449),  # Warren, OH
    "445": (41.0786, -80.6783),  # Youngstown, OH
    "446": (40.7350, -81.4914),  # Massillon, OH
    "447": (40.8135, -81.3816),  # Canton, OH
    "448": (41.0846, -82.7689),  # Sandusky, OH
    "449": (40.7532, -82.5261),  # Mansfield, OH
    "450": (39.4183, -84.4572),  # Hamilton, OH
    "451": (39.1830, -84.0058),  # Aberdeen, OH
    "452": (39.1658, -84.4954),  # Cincinnati, OH
    "453": (39.9038, -84.2086),  # Miamisburg, OH
    "454": (39.7464, -84.1722),  # Dayton, OH
    "455": (39.9318, -83.8054),  # Springfield, OH
    "456": (38.9087, -82.8727),  # Chillicothe, OH
    "457": (39.3467, -81.8569),  # Athens, OH
    "458": (40.8110, -84.1167),  # Lima, OH
    "459": (39.1668, -84.5382),  # Cincinnati, OH
    "460": (40.0401, -86.0459),  # Anderson, IN
    "461": (39.6557, -86.2001),  # Greenwood, IN
    "462": (39.7741, -86.1515),  # Indianapolis, IN
    "463": (41.5325, -87.2754),  # Hammond, IN
    "464": (41.5608, -87.3300),  # Gary, IN
    "465": (41.5856, -86.0377),  # Elkhart, IN
    "466": (41.6835, -86.2490),  # South Bend, IN
    "467": (41.1635, -85.1868),  # Albion, IN
    "468": (41.1306, -85.1289),  # Fort Wayne, IN
    "469": (40.6308, -86.0298),  # Kokomo, IN
    "470": (39.1612, -84.9891),  # Aurora, IN
    "471": (38.3506, -85.8056),  # Jeffersonville, IN
    "472": (39.0548, -85.7336),  # Columbus, IN
    "473": (40.0692, -85.2257),  # Muncie, IN
    "474": (39.0798, -86.5765),  # Bloomington, IN
    "475": (38.4685, -87.1178),  # Jasper, IN
    "476": (38.1251, -87.5102),  # Newburgh, IN
    "477": (37.9785, -87.5553),  # Evansville, IN
    "478": (39.4717, -87.3619),  # Terre Haute, IN
    "479": (40.4165, -86.9444),  # Lafayette, IN
    "480": (42.5562, -83.0007),  # Troy, MI
    "481": (42.2626, -83.3889),  # Ann Arbor, MI
    "482": (42.3500, -83.0600),  # Detroit, MI
    "483": (42.5992, -83.2535),  # Farmington, MI
    "484": (43.0521, -83.5258),  # Grand Blanc, MI
    "485": (43.0096, -83.6714),  # Flint, MI
    "486": (43.5887, -84.1396),  # Saginaw, MI
    "487": (43.6552, -83.7356),  # Bay City, MI
    "488": (42.9156, -84.5733),  # East Lansing, MI
    "489": (42.7339, -84.5674),  # Lansing, MI
    "490": (42.2283, -85.5824),  # Kalamazoo, MI
    "491": (41.8560, -86.3825),  # Baroda, MI
    "492": (42.0885, -84.3221),  # Jackson, MI
    "493": (43.1087, -85.5638),  # Ada, MI
    "494": (43.0964, -86.1183),  # Muskegon, MI
    "495": (42.9415, -85.6742),  # Grand Rapids, MI
    "496": (44.5232, -85.5925),  # Traverse City, MI
    "497": (45.5121, -84.4723),  # Eckerman, MI
    "498": (46.0871, -87.4253),  # Iron Mountain, MI
    "499": (46.7934, -88.8878),  # Ahmeek, MI
    "500": (41.8065, -93.7005),  # Boone, IA
    "501": (41.7346, -93.3868),  # Galt, IA
    "502": (41.6258, -93.6289),  # West Des Moines, IA
    "503": (41.6041, -93.6299),  # Des Moines, IA
    "504": (43.1427, -93.2849),  # Mason City, IA
    "505": (42.6481, -94.3863),  # Fort Dodge, IA
    "506": (42.6054, -92.4286),  # Ackley, IA
    "507": (42.4899, -92.3368),  # Waterloo, IA
    "508": (41.0014, -94.4738),  # Creston, IA
    "509": (41.6727, -93.5722),  # Boone, IA
    "510": (42.6747, -96.0038),  # Akron, IA
    "511": (42.5000, -96.4003),  # Sioux City, IA
    "512": (43.2133, -96.0575),  # Sheldon, IA
    "513": (43.2848, -95.0904),  # Spencer, IA
    "514": (42.0959, -95.0901),  # Carroll, IA
    "515": (41.2917, -95.7375),  # Council Bluffs, IA
    "516": (40.7551, -95.3044),  # Shenandoah, IA
    "520": (42.4667, -90.7856),  # Dubuque, IA
    "521": (43.1950, -91.7123),  # Decorah, IA
    "522": (41.7491, -91.5850),  # Iowa City, IA
    "523": (41.8976, -91.6850),  # Marengo, IA
    "524": (42.0083, -91.6441),  # Cedar Rapids, IA
    "525": (41.0376, -92.4254),  # Ottumwa, IA
    "526": (40.7637, -91.2856),  # Burlington, IA
    "527": (41.6105, -90.6290),  # Clinton, IA
    "528": (41.5236, -90.5776),  # Davenport, IA
    "530": (43.3591, -88.1461),  # Brookfield, WI
    "531": (42.7903, -88.0873),  # Kenosha, WI
    "532": (43.0409, -87.9263),  # Milwaukee, WI
    "534": (42.7206, -87.8026),  # Racine, WI
    "535": (42.9181, -89.3087),  # Janesville, WI
    "537": (43.0730, -89.3996),  # Madison, WI
    "538": (42.8361, -90.6714),  # Bagley, WI
    "539": (43.5657, -89.4021),  # Portage, WI
    "540": (44.9888, -92.5976),  # Amery, WI
    "541": (44.5772, -88.1656),  # Abrams, WI
    "542": (44.2961, -87.6154),  # Manitowoc, WI
    "543": (44.5081, -88.0233),  # Green Bay, WI
    "544": (44.7669, -89.7365),  # Wausau, WI
    "545": (45.8200, -89.6764),  # Rhinelander, WI
    "546": (43.8658, -91.1421),  # La Crosse, WI
    "547": (44.8387, -91.5176),  # Eau Claire, WI
    "548": (46.1256, -91.8417),  # Spooner, WI
    "549": (44.1065, -88.5619),  # Appleton, WI
    "550": (44.8793, -93.0529),  # Elko New Market, MN
    "551": (44.9394, -93.0904),  # Saint Paul, MN
    "553": (44.9935, -93.5576),  # Eden Prairie, MN
    "554": (45.0082, -93.2920),  # Minneapolis, MN
    "555": (45.0197, -93.4934),  # Young America, MN
    "556": (47.2398, -91.2952),  # Beaver Bay, MN
    "557": (47.2469, -92.7927),  # Grand Rapids, MN
    "558": (46.7873, -92.1222),  # Duluth, MN
    "559": (43.9683, -92.3684),  # Rochester, MN
    "560": (44.1138, -93.9620),  # Mankato, MN
    "561": (43.8300, -95.6122),  # Windom, MN
    "562": (44.9549, -95.5082),  # Willmar, MN
    "563": (45.6393, -94.3771),  # Saint Cloud, MN
    "564": (46.4739, -94.4163),  # Brainerd, MN
    "565": (46.7656, -96.3806),  # Moorhead, MN
    "566": (47.8377, -94.5420),  # Bemidji, MN
    "567": (48.1355, -96.4785),  # Thief River Falls, MN
    "569": (38.8952, -77.0365),  # Parcel Return Service, DC
    "570": (43.5047, -96.9081),  # Alcester, SD
    "571": (43.5437, -96.7280),  # Sioux Falls, SD
    "572": (44.9790, -97.1056),  # Watertown, SD
    "573": (43.8911, -98.3099),  # Mitchell, SD
    "574": (45.4259, -98.5904),  # Aberdeen, SD
    "575": (43.9369, -100.4361),  # Pierre, SD
    "576": (45.4106, -101.0905),  # Mobridge, SD
    "577": (44.1080, -103.2955),  # Rapid City, SD
    "580": (46.7542, -97.0596),  # Wahpeton, ND
    "581": (46.8774, -96.7901),  # Fargo, ND
    "582": (48.0003, -97.1687),  # Grand Forks, ND
    "583": (48.3919, -99.4394),  # Devils Lake, ND
    "584": (46.8149, -98.7790),  # Jamestown, ND
    "585": (46.8505, -100.8645),  # Bismarck, ND
    "586": (46.8118, -102.8163),  # Dickinson, ND
    "587": (48.2469, -101.4298),  # Minot, ND
    "588": (48.0982, -103.5156),  # Williston, ND
    "590": (45.6815, -108.9004),  # Roundup, MT
    "591": (45.7853, -108.4960),  # Billings, MT
    "592": (48.0531, -105.0243),  # Wolf Point, MT
    "593": (46.5664, -105.4530),  # Miles City, MT
    "594": (47.6396, -111.3731),  # Great Falls, MT
    "595": (48.4871, -109.3819),  # Havre, MT
    "596": (46.5987, -111.9936),  # Helena, MT
    "597": (45.8115, -111.8129),  # Bozeman, MT
    "598": (46.9019, -114.0461),  # Missoula, MT
    "599": (48.2551, -114.4015),  # Kalispell, MT
    "600": (42.2023, -87.9696),  # Palatine, IL
    "601": (41.9773, -88.1666),  # Schaumburg, IL
    "602": (42.0411, -87.6901),  # Evanston, IL
    "603": (41.8873, -87.7897),  # Oak Park, IL
    "604": (41.5935, -87.8531),  # Joliet, IL
    "605": (41.7688, -88.1641),  # Aurora, IL
    "606": (41.8586, -87.6613),  # Chicago, IL
    "607": (41.9762, -87.7988),  # Chicago, IL
    "608": (41.7814, -87.7322),  # Alsip, IL
    "609": (40.9980, -87.8777),  # Kankakee, IL
    "610": (42.1639, -89.3838),  # Apple River, IL
    "611": (42.2856, -89.0831),  # Rockford, IL
    "612": (41.5078, -90.4459),  # Rock Island, IL
    "613": (41.3287, -89.0569),  # La Salle, IL
    "614": (40.8752, -90.3972),  # Galesburg, IL
    "615": (40.6569, -89.6147),  # Pekin, IL
    "616": (40.7002, -89.5885),  # Peoria, IL
    "617": (40.5162, -88.9675),  # Bloomington, IL
    "618": (40.1197, -88.1298),  # Champaign, IL
    "619": (39.5799, -88.2318),  # Arcola, IL
    "620": (38.9010, -90.0530),  # Alhambra, IL
    "622": (38.5301, -89.9264),  # East Saint Louis, IL
    "623": (39.9850, -91.2698),  # Quincy, IL
    "624": (39.0072, -88.2198),  # Effingham, IL
    "625": (39.7533, -89.0490),  # Decatur, IL
    "626": (39.8179, -89.9140),  # Jacksonville, IL
    "627": (39.7990, -89.6411),  # Springfield, IL
    "628": (38.3030, -88.7543),  # Centralia, IL
    "629": (37.6773, -89.0009),  # Carbondale, IL
    "630": (38.5935, -90.5226),  # Ballwin, MO
    "631": (38.6269, -90.2825),  # Saint Louis, MO
    "633": (38.8346, -90.7318),  # Saint Charles, MO
    "634": (39.8032, -91.5256),  # Hannibal, MO
    "635": (40.1465, -92.5833),  # Kirksville, MO
    "636": (37.8152, -90.4814),  # Park Hills, MO
    "637": (37.3437, -89.6099),  # Cape Girardeau, MO
    "638": (36.5840, -89.7554),  # Sikeston, MO
    "639": (36.7778, -90.4650),  # Poplar Bluff, MO
    "640": (39.0320, -94.3398),  # Independence, MO
    "641": (39.1031, -94.5722),  # Kansas City, MO
    "644": (40.0205, -94.6265),  # Maysville, MO
    "645": (39.7706, -94.8459),  # Saint Joseph, MO
    "646": (39.8395, -93.5048),  # Chillicothe, MO
    "647": (38.1742, -94.1924),  # Osceola, MO
    "648": (37.0515, -94.4561),  # Joplin, MO
    "649": (39.0249, -94.5743),  # Kansas City, MO
    "650": (38.4131, -92.4476),  # Argyle, MO
    "651": (38.5719, -92.1710),  # Jefferson City, MO
    "652": (39.0208, -92.3196),  # Columbia, MO
    "653": (38.7717, -93.2690),  # Sedalia, MO
    "654": (37.8392, -91.8798),  # Rolla, MO
    "655": (37.6939, -92.0976),  # Jadwin, MO
    "656": (37.0430, -93.2967),  # Branson, MO
    "657": (37.0329, -93.1279),  # Mc Clurg, MO
    "658": (37.2153, -93.2982),  # Springfield, MO
    "660": (38.9601, -94.9935),  # Lawrence, KS
    "661": (39.1115, -94.6335),  # Kansas City, KS
    "662": (38.9913, -94.6792),  # Overland Park, KS
    "664": (39.1031, -96.5532),  # Alma, KS
    "665": (39.2441, -96.4023),  # Manhattan, KS
    "666": (39.0483, -95.6780),  # Topeka, KS
    "667": (37.5226, -94.9856),  # Fort Scott, KS
    "668": (38.3904, -96.2303),  # Emporia, KS
    "669": (39.6901, -97.7137),  # Concordia, KS
    "670": (37.6026, -97.2797),  # Andale, KS
    "671": (37.6506, -97.4371),  # Maize, KS
    "672": (37.6971, -97.3367),  # Wichita, KS
    "673": (37.1915, -95.5375),  # Independence, KS
    "674": (38.8339, -97.6138),  # Salina, KS
    "675": (38.1682, -98.2938),  # Hutchinson, KS
    "676": (39.0706, -99.3632),  # Hays, KS
    "677": (39.4072, -101.1350),  # Colby, KS
    "678": (37.8473, -100.6080),  # Dodge City, KS
    "679": (37.0600, -101.0585),  # Liberal, KS
    "680": (41.2735, -96.1507),  # Blair, NE
    "681": (41.2513, -95.9512),  # Omaha, NE
    "683": (40.3985, -96.7409),  # Adams, NE
    "684": (40.7364, -96.7242),  # Mc Cool Junction, NE
    "685": (40.8000, -96.6670),  # Lincoln, NE
    "686": (41.4411, -97.3600),  # Columbus, NE
    "687": (42.2228, -97.2892),  # Norfolk, NE
    "688": (40.8983, -98.7460),  # Grand Island, NE
    "689": (40.4863, -98.6539),  # Hastings, NE
    "690": (40.2825, -100.8265),  # Mc Cook, NE
    "691": (41.1182, -101.2630),  # North Platte, NE
    "692": (42.7552, -100.3001),  # Valentine, NE
    "693": (42.0849, -103.3377),  # Scottsbluff, NE
    "700": (29.9543, -90.1990),  # Metairie, LA
    "701": (29.9538, -90.0879),  # New Orleans, LA
    "703": (29.6911, -90.7648),  # Houma, LA
    "704": (30.4659, -90.1015),  # Slidell, LA
    "705": (30.2141, -92.0685),  # Lafayette, LA
    "706": (30.2932, -93.2423),  # Lake Charles, LA
    "707": (30.4409, -91.1096),  # Denham Springs, LA
    "708": (30.4474, -91.1416),  # Baton Rouge, LA
    "710": (32.5711, -93.5145),  # Minden, LA
    "711": (32.5227, -93.7457),  # Shreveport, LA
    "712": (32.5333, -92.1113),  # Monroe, LA
    "713": (31.3479, -92.1833),  # Alexandria, LA
    "714": (31.4376, -92.9547),  # Leesville, LA
    "716": (33.8756, -91.8645),  # Pine Bluff, AR
    "717": (33.3943, -92.8279),  # El Dorado, AR
    "718": (33.6210, -93.9460),  # Hope, AR
    "719": (34.4613, -93.1943),  # Hot Springs National Park, AR
    "720": (34.8888, -92.2285),  # Benton, AR
    "721": (34.8596, -92.1906),  # North Little Rock, AR
    "722": (34.7560, -92.2805),  # Little Rock, AR
    "723": (35.1752, -90.3742),  # West Memphis, AR
    "724": (35.9323, -90.6409),  # Jonesboro, AR
    "725": (35.9131, -91.7348),  # Batesville, AR
    "726": (36.2729, -92.8891),  # Harrison, AR
    "727": (36.2319, -94.1869),  # Fayetteville, AR
    "728": (35.3028, -93.2437),  # Russellville, AR
    "729": (35.3649, -94.3207),  # Fort Smith, AR
    "730": (35.3575, -97.5906),  # Edmond, OK
    "731": (35.4600, -97.5088),  # Oklahoma City, OK
    "733": (30.3264, -97.7713),  # Austin, TX
    "734": (34.1677, -97.1127),  # Ardmore, OK
    "735": (34.5874, -98.4972),  # Lawton, OK
    "736": (35.4057, -99.2356),  # Elk City, OK
    "737": (36.3561, -97.9962),  # Enid, OK
    "738": (36.4566, -99.4434),  # Woodward, OK
    "739": (36.7148, -101.4269),  # Adams, OK
    "740": (36.1793, -96.0723),  # Broken Arrow, OK
    "741": (36.1546, -95.9927),  # Tulsa, OK
    "743": (36.5470, -95.0406),  # Grove, OK
    "744": (35.7369, -95.4258),  # Muskogee, OK
    "745": (34.8349, -95.7014),  # Mcalester, OK
    "746": (36.7235, -97.1250),  # Ponca City, OK
    "747": (33.9783, -95.7799),  # Durant, OK
    "748": (35.2086, -96.7805),  # Shawnee, OK
    "749": (35.3510, -94.6448),  # Arkoma, OK
    "750": (33.0169, -96.7880),  # Irving, TX
    "751": (32.6200, -96.6395),  # Mesquite, TX
    "752": (32.7878, -96.8088),  # Dallas, TX
    "753": (32.7636, -96.7780),  # Dallas, TX
    "754": (33.3194, -95.8823),  # Greenville, TX
    "755": (33.3797, -94.1562),  # Texarkana, TX
    "756": (32.4922, -94.7033),  # Longview, TX
    "757": (32.3036, -95.3446),  # Tyler, TX
    "758": (31.5264, -95.6662),  # Palestine, TX
    "759": (31.3788, -94.5420),  # Lufkin, TX
    "760": (32.7224, -97.2131),  # Arlington, TX
    "761": (32.7384, -97.3182),  # Fort Worth, TX
    "762": (33.2116, -97.1769),  # Denton, TX
    "763": (33.9170, -98.5949),  # Wichita Falls, TX
    "764": (32.5637, -98.4181),  # Stephenville, TX
    "765": (31.0842, -97.6145),  # Killeen, TX
    "766": (31.6424, -96.9948),  # Abbott, TX
    "767": (31.5477, -97.1432),  # Waco, TX
    "768": (31.4857, -99.2280),  # Brownwood, TX
    "769": (31.4170, -100.5045),  # San Angelo, TX
    "770": (29.7634, -95.3695),  # Houston, TX
    "772": (29.6957, -95.3207),  # Houston, TX
    "773": (30.2305, -95.3823),  # Spring, TX
    "774": (29.6976, -95.7127),  # Katy, TX
    "775": (29.5439, -95.1348),  # Pasadena, TX
    "776": (30.0228, -93.9886),  # Port Arthur, TX
    "777": (30.0867, -94.1036),  # Beaumont, TX
    "778": (30.6190, -96.3491),  # Bryan, TX
    "779": (28.8564, -96.9513),  # Victoria, TX
    "780": (28.0683, -99.3004),  # Laredo, TX
    "781": (29.5151, -98.1531),  # New Braunfels, TX
    "782": (29.4319, -98.4937),  # San Antonio, TX
    "783": (27.7817, -97.6708),  # Alice, TX
    "784": (27.8006, -97.3964),  # Corpus Christi, TX
    "785": (26.1627, -98.0061),  # Mcallen, TX
    "786": (30.3651, -97.8025),  # Round Rock, TX
    "787": (30.2801, -97.7472),  # Austin, TX
    "788": (29.0203, -100.3275),  # Del Rio, TX
    "789": (29.8984, -96.9068),  # Bleiblerville, TX
    "790": (35.2631, -101.6623),  # Borger, TX
    "791": (35.2211, -101.8329),  # Amarillo, TX
    "792": (34.3132, -100.5696),  # Childress, TX
    "793": (33.3929, -102.1674),  # Levelland, TX
    "794": (33.5779, -101.8552),  # Lubbock, TX
    "795": (32.6233, -100.3111),  # Rule, TX
    "796": (32.4460, -99.7314),  # Abilene, TX
    "797": (31.8968, -102.2735),  # Midland, TX
    "798": (31.2674, -105.6677),  # Alpine, TX
    "799": (31.7502, -106.4573),  # El Paso, TX
    "800": (39.7974, -104.9584),  # Aurora, CO
    "801": (39.5445, -104.9259),  # Littleton, CO
    "802": (39.7586, -104.9969),  # Denver, CO
    "803": (40.0197, -105.2636),  # Boulder, CO
    "804": (39.7736, -105.7003),  # Golden, CO
    "805": (40.3906, -105.0596),  # Fort Collins, CO
    "806": (40.2986, -104.7320),  # Greeley, CO
    "807": (40.3951, -103.2467),  # Fort Morgan, CO
    "808": (38.8659, -104.5288),  # Usaf Academy, CO
    "809": (38.8331, -104.8062),  # Colorado Springs, CO
    "810": (38.1689, -104.4186),  # Pueblo, CO
    "811": (37.4543, -106.2353),  # San Luis, CO
    "812": (38.4938, -105.6952),  # Canon City, CO
    "813": (37.3140, -108.1704),  # Durango, CO
    "814": (38.5105, -107.9225),  # Montrose, CO
    "815": (39.0824, -108.5527),  # Grand Junction, CO
    "816": (39.6358, -107.1914),  # Glenwood Springs, CO
    "820": (41.1911, -105.0305),  # Cheyenne, WY
    "821": (44.5677, -110.4413),  # Yellowstone National Park, WY
    "822": (42.1656, -104.4820),  # Wheatland, WY
    "823": (41.7478, -107.1280),  # Rawlins, WY
    "824": (44.4147, -108.5327),  # Worland, WY
    "825": (42.9797, -108.6087),  # Riverton, WY
    "826": (42.8612, -106.2421),  # Casper, WY
    "827": (44.2290, -105.3222),  # Gillette, WY
    "828": (44.7136, -106.9240),  # Sheridan, WY
    "829": (41.5357, -109.7271),  # Rock Springs, WY
    "830": (43.4643, -110.7868),  # Jackson, WY
    "831": (42.4042, -110.6492),  # Kemmerer, WY
    "832": (42.8583, -112.2483),  # Pocatello, ID
    "833": (42.7310, -114.3425),  # Twin Falls, ID
    "834": (43.6320, -111.9639),  # Idaho Falls, ID
    "835": (46.3735, -116.8877),  # Lewiston, ID
    "836": (43.6340, -116.4957),  # Nampa, ID
    "837": (43.6149, -116.2055),  # Boise, ID
    "838": (47.5932, -116.7957),  # Coeur D Alene, ID
    "840": (40.6511, -111.8608),  # Sandy, UT
    "841": (40.7041, -111.9093),  # Salt Lake City, UT
    "842": (41.2498, -111.9823),  # Ogden, UT
    "843": (41.6588, -111.9132),  # Logan, UT
    "844": (41.2374, -111.9822),  # Ogden, UT
    "845": (38.9921, -110.3896),  # Price, UT
    "846": (40.0410, -111.6903),  # Provo, UT
    "847": (37.3799, -113.2725),  # Saint George, UT
    "850": (33.4756, -112.0882),  # Phoenix, AZ
    "851": (33.1597, -111.5255),  # Apache Junction, AZ
    "852": (33.3755, -111.8469),  # Mesa, AZ
    "853": (33.4100, -112.6886),  # Glendale, AZ
    "855": (33.4606, -110.4862),  # Globe, AZ
    "856": (31.8231, -110.6800),  # Sierra Vista, AZ
    "857": (32.2489, -110.9459),  # Tucson, AZ
    "859": (34.2193, -109.9378),  # Show Low, AZ
    "860": (35.5702, -111.4239),  # Flagstaff, AZ
    "863": (34.6590, -112.1896),  # Prescott, AZ
    "864": (34.9835, -114.2958),  # Lake Havasu City, AZ
    "865": (36.0148, -109.3758),  # Chambers, AZ
    "870": (35.1397, -106.6870),  # Algodones, NM
    "871": (35.1018, -106.6531),  # Albuquerque, NM
    "873": (35.4750, -108.7149),  # Gallup, NM
    "874": (36.7411, -108.2230),  # Farmington, NM
    "875": (35.8629, -106.0018),  # Santa Fe, NM
    "876": (32.9903, -106.9751),  # Spaceport City, NM
    "877": (36.0585, -104.9789),  # Las Vegas, NM
    "878": (34.0905, -107.0280),  # Socorro, NM
    "879": (32.9990, -107.2205),  # Truth Or Consequences, NM
    "880": (32.2537, -106.9520),  # Las Cruces, NM
    "881": (34.3591, -103.2564),  # Clovis, NM
    "882": (32.8911, -103.9568),  # Roswell, NM
    "883": (33.0221, -105.8944),  # Alamogordo, NM
    "884": (35.4440, -103.7920),  # Tucumcari, NM
    "885": (31.6967, -106.3017),  # El Paso, TX
    "889": (36.0400, -114.9835),  # The Lakes, NV
    "890": (36.1494, -115.0636),  # Henderson, NV
    "891": (36.1443, -115.1515),  # Las Vegas, NV
    "893": (39.3056, -114.9782),  # Ely, NV
    "894": (39.4607, -119.5566),  # Sparks, NV
    "895": (39.5361, -119.8198),  # Reno, NV
    "897": (39.1570, -119.7689),  # Carson City, NV
    "898": (40.8364, -115.6255),  # Elko, NV
    "900": (34.0498, -118.2542),  # Los Angeles, CA
    "901": (34.0006, -118.1598),  # Los Angeles, CA
    "902": (33.9317, -118.2936),  # Beverly Hills, CA
    "903": (33.9577, -118.3530),  # Inglewood, CA
    "904": (34.0195, -118.4914),  # Santa Monica, CA
    "905": (33.8317, -118.3168),  # Torrance, CA
    "906": (33.9232, -118.0395),  # Whittier, CA
    "907": (33.8201, -118.1683),  # Lakewood, CA
    "908": (33.7670, -118.1892),  # Long Beach, CA
    "910": (34.1743, -118.1156),  # Arcadia, CA
    "911": (34.1452, -118.1387),  # Pasadena, CA
    "912": (34.1505, -118.2533),  # Glendale, CA
    "913": (34.2839, -118.5972),  # Santa Clarita, CA
    "914": (34.1759, -118.4511),  # Van Nuys, CA
    "915": (34.1808, -118.3090),  # Burbank, CA
    "916": (34.1511, -118.3687),  # North Hollywood, CA
    "917": (34.0651, -117.8339),  # Rancho Cucamonga, CA
    "918": (34.0953, -118.1270),  # Alhambra, CA
    "919": (32.6812, -117.0431),  # Chula Vista, CA
    "920": (33.0637, -117.1669),  # Escondido, CA
    "921": (32.7341, -117.1623),  # San Diego, CA
    "922": (33.6061, -116.1854),  # Palm Desert, CA
    "923": (34.2907, -117.2667),  # Fontana, CA
    "924": (34.1034, -117.2965),  # San Bernardino, CA
    "925": (33.7950, -117.2375),  # Riverside, CA
    "926": (33.6311, -117.8074),  # Irvine, CA
    "927": (33.7422, -117.8672),  # Santa Ana, CA
    "928": (33.8462, -117.8285),  # Anaheim, CA
    "930": (34.2548, -119.0864),  # Ventura, CA
    "931": (34.4240, -119.7440),  # Santa Barbara, CA
    "932": (36.0184, -119.3284),  # Visalia, CA
    "933": (35.3761, -119.0237),  # Bakersfield, CA
    "934": (35.0880, -120.5518),  # San Luis Obispo, CA
    "935": (34.8731, -118.1286),  # Lancaster, CA
    "936": (36.8080, -119.8581),  # Clovis, CA
    "937": (36.7477, -119.7723),  # Fresno, CA
    "938": (36.7464, -119.6397),  # Fresno, CA
    "939": (36.6044, -121.6539),  # Salinas, CA
    "940": (37.5127, -122.2601),  # Mountain View, CA
    "941": (37.7725, -122.4182),  # San Francisco, CA
    "942": (38.5816, -121.4944),  # Sacramento, CA
    "943": (37.4469, -122.1454),  # Palo Alto, CA
    "944": (37.5608, -122.3132),  # San Mateo, CA
    "945": (37.8609, -122.0366),  # Concord, CA
    "946": (37.8056, -122.2702),  # Oakland, CA
    "947": (37.8737, -122.2763),  # Berkeley, CA
    "948": (37.9460, -122.3425),  # Richmond, CA
    "949": (38.0763, -122.5859),  # Petaluma, CA
    "950": (37.2570, -121.8843),  # Santa Clara, CA
    "951": (37.3328, -121.8557),  # San Jose, CA
    "952": (38.0021, -121.2398),  # Stockton, CA
    "953": (37.6092, -120.9439),  # Modesto, CA
    "954": (38.5965, -122.7818),  # Santa Rosa, CA
    "955": (40.8730, -124.1143),  # Eureka, CA
    "956": (38.6479, -121.4008),  # Auburn, CA
    "957": (38.5526, -121.2996),  # Elk Grove, CA
    "958": (38.5649, -121.3818),  # Sacramento, CA
    "959": (39.4407, -121.6571),  # Chico, CA
    "960": (40.6266, -122.3623),  # Redding, CA
    "961": (39.6346, -120.2797),  # South Lake Tahoe, CA
    "967": (21.1435, -157.5333),  # Kapolei, HI
    "968": (21.3244, -157.8529),  # Honolulu, HI
    "969": (13.4756, 144.7969),  # Hagatna, GU
    "970": (45.4497, -122.5948),  # Beaverton, OR
    "971": (45.4921, -123.1486),  # Hillsboro, OR
    "972": (45.5131, -122.6896),  # Portland, OR
    "973": (44.8205, -123.1456),  # Salem, OR
    "974": (43.7707, -123.3051),  # Eugene, OR
    "975": (42.3522, -122.9747),  # Grants Pass, OR
    "976": (42.2136, -121.6814),  # Klamath Falls, OR
    "977": (44.1371, -121.1981),  # Bend, OR
    "978": (45.5319, -118.6847),  # Pendleton, OR
    "979": (43.9918, -117.0008),  # Adrian, OR
    "980": (47.5685, -122.1902),  # Bellevue, WA
    "981": (47.5987, -122.3315),  # Seattle, WA
    "982": (48.2371, -122.2891),  # Everett, WA
    "983": (47.3928, -122.5271),  # Puyallup, WA
    "984": (47.2124, -122.4592),  # Tacoma, WA
    "985": (46.9790, -123.0688),  # Olympia, WA
    "986": (45.7392, -122.6325),  # Vancouver, WA
    "988": (47.4858, -119.9150),  # Wenatchee, WA
    "989": (46.5825, -120.4303),  # Yakima, WA
    "990": (47.6482, -117.3818),  # Airway Heights, WA
    "991": (47.2422, -117.5407),  # Pullman, WA
    "992": (47.6673, -117.3617),  # Spokane, WA
    "993": (46.2508, -119.1195),  # Kennewick, WA
    "994": (46.3989, -117.0623),  # Anatone, WA
    "995": (61.1556, -150.3220),  # Anchorage, AK
    "996": (60.5297, -151.9270),  # Wasilla, AK
    "997": (65.0515, -148.9225),  # Fairbanks, AK
    "998": (58.0222, -134.5694),  # Juneau, AK
    "999": (55.5361, -131.9775),  # Ketchikan, AK
}

US_STATES: dict[str, tuple[float, float]] = {
    "AK": (61.3168, -149.0352),  # Alaska
    "AL": (33.0378, -86.7311),  # Alabama
    "AR": (35.1898, -92.6728),  # Arkansas
    "AZ": (33.3512, -111.9149),  # Arizona
    "CA": (35.3291, -119.2450),  # California
    "CO": (39.5812, -105.1363),  # Colorado
    "CT": (41.4601, -72.9196),  # Connecticut
    "DC": (38.8951, -77.0364),  # District of Columbia
    "DE": (39.4249, -75.5806),  # Delaware
    "FL": (27.6514, -81.4916),  # Florida
    "GA": (33.2762, -83.8566),  # Georgia
    "HI": (21.2299, -157.6838),  # Hawaii
    "IA": (41.9246, -93.0037),  # Iowa
    "ID": (44.1526, -115.3034),  # Idaho
    "IL": (41.4662, -88.2185),  # Illinois
    "IN": (40.1931, -86.2696),  # Indiana
    "KS": (38.4825, -96.3437),  # Kansas
    "KY": (38.0165, -85.4195),  # Kentucky
    "LA": (30.5872, -91.3379),  # Louisiana
    "MA": (42.2824, -71.3277),  # Massachusetts
    "MD": (39.1523, -76.7859),  # Maryland
    "ME": (44.2327, -69.7783),  # Maine
    "MI": (42.7333, -83.9893),  # Michigan
    "MN": (45.0890, -93.4476),  # Minnesota
    "MO": (38.5569, -92.3014),  # Missouri
    "MS": (32.4250, -89.5868),  # Mississippi
    "MT": (46.6851, -111.0997),  # Montana
    "NC": (35.5174, -79.6466),  # North Carolina
    "ND": (47.3196, -99.2768),  # North Dakota
    "NE": (41.1451, -97.0868),  # Nebraska
    "NH": (43.1397, -71.4447),  # New Hampshire
    "NJ": (40.4773, -74.3925),  # New Jersey
    "NM": (34.6597, -106.3525),  # New Mexico
    "NV": (36.9571, -116.0972),  # Nevada
    "NY": (41.2818, -74.3952),  # New York
    "OH": (40.5057, -82.7716),  # Ohio
    "OK": (35.6203, -96.9682),  # Oklahoma
    "OR": (44.8485, -122.6434),  # Oregon
    "PA": (40.3426, -76.6002),  # Pennsylvania
    "RI": (41.7524, -71.4488),  # Rhode Island
    "SC": (33.8667, -80.9191),  # South Carolina
    "SD": (43.9627, -98.9512),  # South Dakota
    "TN": (35.7602, -86.7556),  # Tennessee
    "TX": (30.9782, -97.5156),  # Texas
    "UT": (40.4508, -111.9492),  # Utah
    "VA": (37.7792, -77.4421),  # Virginia
    "VT": (44.0776, -72.8507),  # Vermont
    "WA": (47.3357, -121.6660),  # Washington
    "WI": (43.5471, -88.8424),  # Wisconsin
    "WV": (38.9037, -80.9149),  # West Virginia
    "WY": (42.5839, -106.9141),  # Wyoming
}

US_STATE_NAMES: dict[str, str] = {
    "alaska": "AK",
    "alabama": "AL",
    "arkansas": "AR",
    "arizona": "AZ",
    "california": "CA",
    "colorado": "CO",
    "connecticut": "CT",
    "district of columbia": "DC",
    "delaware": "DE",
    "florida": "FL",
    "georgia": "GA",
    "hawaii": "HI",
    "iowa": "IA",
    "idaho": "ID",
    "illinois": "IL",
    "indiana": "IN",
    "kansas": "KS",
    "kentucky": "KY",
    "louisiana": "LA",
    "massachusetts": "MA",
    "maryland": "MD",
    "maine": "ME",
    "michigan": "MI",
    "minnesota": "MN",
    "missouri": "MO",
    "mississippi": "MS",
    "montana": "MT",
    "north carolina": "NC",
    "north dakota": "ND",
    "nebraska": "NE",
    "new hampshire": "NH",
    "new jersey": "NJ",
    "new mexico": "NM",
    "nevada": "NV",
    "new york": "NY",
    "ohio": "OH",
    "oklahoma": "OK",
    "oregon": "OR",
    "pennsylvania": "PA",
    "rhode island": "RI",
    "south carolina": "SC",
    "south dakota": "SD",
    "tennessee": "TN",
    "texas": "TX",
    "utah": "UT",
    "virginia": "VA",
    "vermont": "VT",
    "washington": "WA",
    "wisconsin": "WI",
    "west virginia": "WV",
    "wyoming": "WY",
}

CITIES: dict[tuple[str, str], tuple[float, float]] = {
    # US
    ("US", "abilene"): (32.4487, -99.7331),
    ("US", "akron"): (41.0814, -81.5190),
    ("US", "albany"): (42.6526, -73.7562),
    ("US", "albuquerque"): (35.0845, -106.6511),
    ("US", "alexandria"): (38.8048, -77.0469),
    ("US", "allentown"): (40.6084, -75.4902),
    ("US", "amarillo"): (35.2220, -101.8313),
    ("US", "amherst"): (42.9784, -78.7998),
    ("US", "anaheim"): (33.8353, -117.9145),
    ("US", "anchorage"): (61.2181, -149.9003),
    ("US", "ann arbor"): (42.2776, -83.7409),
    ("US", "annapolis"): (38.9786, -76.4918),
    ("US", "antioch"): (38.0049, -121.8058),
    ("US", "arlington"): (32.7357, -97.1081),
    ("US", "arvada"): (39.8028, -105.0875),
    ("US", "athens"): (33.9609, -83.3779),
    ("US", "atlanta"): (33.7490, -84.3880),
    ("US", "augusta"): (33.4710, -81.9748),
    ("US", "aurora"): (39.7294, -104.8319),
    ("US", "austin"): (30.2672, -97.7431),
    ("US", "bakersfield"): (35.3733, -119.0187),
    ("US", "baltimore"): (39.2904, -76.6122),
    ("US", "baton rouge"): (30.4433, -91.1875),
    ("US", "beaumont"): (30.0861, -94.1018),
    ("US", "bellevue"): (47.6104, -122.2007),
    ("US", "berkeley"): (37.8716, -122.2728),
    ("US", "billings"): (45.7833, -108.5007),
    ("US", "birmingham"): (33.5207, -86.8025),
    ("US", "bismarck"): (46.8083, -100.7837),
    ("US", "boise"): (43.6135, -116.2035),
    ("US", "boise city"): (43.6135, -116.2035),
    ("US", "boston"): (42.3584, -71.0598),
    ("US", "boulder"): (40.0150, -105.2706),
    ("US", "brandon"): (27.9378, -82.2859),
    ("US", "bridgeport"): (41.1792, -73.1894),
    ("US", "broken arrow"): (36.0526, -95.7908),
    ("US", "bronx"): (40.8499, -73.8664),
    ("US", "brooklyn"): (40.6501, -73.9496),
    ("US", "brownsville"): (25.9017, -97.4975),
    ("US", "buffalo"): (42.8865, -78.8784),
    ("US", "burbank"): (34.1808, -118.3090),
    ("US", "burlington"): (44.4759, -73.2121),
    ("US", "cambridge"): (42.3751, -71.1056),
    ("US", "cape coral"): (26.5629, -81.9495),
    ("US", "carlsbad"): (33.1581, -117.3506),
    ("US", "carrollton"): (32.9537, -96.8903),
    ("US", "carson city"): (39.1638, -119.7674),
    ("US", "cary"): (35.7915, -78.7811),
    ("US", "casper"): (42.8666, -106.3131),
    ("US", "cedar rapids"): (42.0083, -91.6441),
    ("US", "centennial"): (39.5792, -104.8769),
    ("US", "chandler"): (33.3062, -111.8413),
    ("US", "charleston"): (32.7763, -79.9327),
    ("US", "charlotte"): (35.2271, -80.8431),
    ("US", "chattanooga"): (35.0456, -85.3097),
    ("US", "chesapeake"): (36.8190, -76.2749),
    ("US", "cheyenne"): (41.1400, -104.8203),
    ("US", "chicago"): (41.8500, -87.6500),
    ("US", "chico"): (39.7285, -121.8375),
    ("US", "chula vista"): (32.6401, -117.0842),
    ("US", "cincinnati"): (39.1271, -84.5144),
    ("US", "clarksville"): (36.5298, -87.3594),
    ("US", "clearwater"): (27.9658, -82.8001),
    ("US", "cleveland"): (41.4995, -81.6954),
    ("US", "clovis"): (36.8252, -119.7029),
    ("US", "college station"): (30.6280, -96.3344),
    ("US", "colorado springs"): (38.8339, -104.8214),
    ("US", "columbia"): (34.0007, -81.0348),
    ("US", "columbus"): (39.9612, -82.9988),
    ("US", "concord"): (37.9780, -122.0311),
    ("US", "coral springs"): (26.2712, -80.2706),
    ("US", "corpus christi"): (27.8006, -97.3964),
    ("US", "costa mesa"): (33.6411, -117.9187),
    ("US", "dallas"): (32.7831, -96.8067),
    ("US", "daly city"): (37.7058, -122.4619),
    ("US", "davenport"): (41.5236, -90.5776),
    ("US", "davie"): (26.0629, -80.2331),
    ("US", "dayton"): (39.7589, -84.1916),
    ("US", "denton"): (33.2148, -97.1331),
    ("US", "denver"): (39.7392, -104.9847),
    ("US", "des moines"): (41.6005, -93.6091),
    ("US", "detroit"): (42.3314, -83.0457),
    ("US", "dover"): (39.1582, -75.5244),
    ("US", "downey"): (33.9400, -118.1326),
    ("US", "durham"): (35.9940, -78.8986),
    ("US", "east los angeles"): (34.0239, -118.1720),
    ("US", "edison"): (40.5187, -74.4121),
    ("US", "el cajon"): (32.7948, -116.9625),
    ("US", "el monte"): (34.0686, -118.0276),
    ("US", "el paso"): (31.7587, -106.4869),
    ("US", "elgin"): (42.0373, -88.2812),
    ("US", "elizabeth"): (40.6640, -74.2107),
    ("US", "elk grove"): (38.4088, -121.3716),
    ("US", "escondido"): (33.1192, -117.0864),
    ("US", "eugene"): (44.0521, -123.0867),
    ("US", "evansville"): (37.9748, -87.5559),
    ("US", "everett"): (47.9790, -122.2021),
    ("US", "fairbanks"): (64.8378, -147.7164),
    ("US", "fairfield"): (38.2494, -122.0400),
    ("US", "fargo"): (46.8772, -96.7898),
    ("US", "fayetteville"): (35.0527, -78.8784),
    ("US", "fontana"): (34.0922, -117.4351),
    ("US", "fort collins"): (40.5853, -105.0844),
    ("US", "fort lauderdale"): (26.1223, -80.1434),
    ("US", "fort wayne"): (41.1306, -85.1289),
    ("US", "fort worth"): (32.7254, -97.3208),
    ("US", "frankfort"): (38.2009, -84.8733),
    ("US", "fremont"): (37.5483, -121.9886),
    ("US", "fresno"): (36.7477, -119.7724),
    ("US", "frisco"): (33.1507, -96.8236),
    ("US", "fullerton"): (33.8703, -117.9253),
    ("US", "gainesville"): (29.6516, -82.3248),
    ("US", "garden grove"): (33.7739, -117.9415),
    ("US", "garland"): (32.9126, -96.6389),
    ("US", "gilbert"): (33.3528, -111.7890),
    ("US", "glendale"): (33.5386, -112.1860),
    ("US", "grand prairie"): (32.7460, -96.9978),
    ("US", "grand rapids"): (42.9634, -85.6681),
    ("US", "greeley"): (40.4233, -104.7091),
    ("US", "green bay"): (44.5192, -88.0198),
    ("US", "greensboro"): (36.0726, -79.7920),
    ("US", "gresham"): (45.4982, -122.4315),
    ("US", "hampton"): (37.0299, -76.3452),
    ("US", "harrisburg"): (40.2737, -76.8844),
    ("US", "hartford"): (41.7637, -72.6851),
    ("US", "hayward"): (37.6688, -122.0808),
    ("US", "helena"): (46.5927, -112.0361),
    ("US", "henderson"): (36.0397, -114.9819),
    ("US", "hialeah"): (25.8576, -80.2781),
    ("US", "high point"): (35.9557, -80.0053),
    ("US", "hillsboro"): (45.5229, -122.9898),
    ("US", "honolulu"): (21.3069, -157.8583),
    ("US", "houston"): (29.7633, -95.3633),
    ("US", "huntington beach"): (33.6603, -117.9992),
    ("US", "huntsville"): (34.7304, -86.5859),
    ("US", "independence"): (39.0911, -94.4155),
    ("US", "indianapolis"): (39.7684, -86.1580),
    ("US", "inglewood"): (33.9617, -118.3531),
    ("US", "irvine"): (33.6695, -117.8231),
    ("US", "irving"): (32.8140, -96.9489),
    ("US", "jackson"): (32.2988, -90.1848),
    ("US", "jacksonville"): (30.3322, -81.6556),
    ("US", "jefferson city"): (38.5767, -92.1735),
    ("US", "jersey city"): (40.7282, -74.0776),
    ("US", "joliet"): (41.5252, -88.0834),
    ("US", "juneau"): (58.3019, -134.4197),
    ("US", "kansas city"): (39.0997, -94.5786),
    ("US", "kent"): (47.3809, -122.2348),
    ("US", "killeen"): (31.1171, -97.7278),
    ("US", "knoxville"): (35.9606, -83.9207),
    ("US", "lafayette"): (30.2241, -92.0198),
    ("US", "lakeland"): (28.0395, -81.9498),
    ("US", "lakewood"): (39.7047, -105.0814),
    ("US", "lancaster"): (34.6980, -118.1367),
    ("US", "lansing"): (42.7325, -84.5555),
    ("US", "laredo"): (27.5064, -99.5075),
    ("US", "las cruces"): (32.3123, -106.7783),
    ("US", "las vegas"): (36.1750, -115.1372),
    ("US", "lewisville"): (33.0462, -96.9942),
    ("US", "lexington"): (37.9887, -84.4777),
    ("US", "lexington fayette"): (37.9887, -84.4777),
    ("US", "lincoln"): (40.8000, -96.6670),
    ("US", "little rock"): (34.7465, -92.2896),
    ("US", "long beach"): (33.7670, -118.1892),
    ("US", "los angeles"): (34.0522, -118.2437),
    ("US", "louisville"): (38.2542, -85.7594),
    ("US", "louisville jefferson county"): (38.2542, -85.7594),
    ("US", "lowell"): (42.6334, -71.3162),
    ("US", "lubbock"): (33.5779, -101.8552),
    ("US", "madison"): (43.0731, -89.4012),
    ("US", "manchester"): (42.9956, -71.4548),
    ("US", "manhattan"): (40.7834, -73.9663),
    ("US", "mcallen"): (26.2034, -98.2300),
    ("US", "mckinney"): (33.1976, -96.6153),
    ("US", "memphis"): (35.1495, -90.0490),
    ("US", "mesa"): (33.4223, -111.8226),
    ("US", "mesquite"): (32.7668, -96.5992),
    ("US", "metairie"): (29.9841, -90.1529),
    ("US", "miami"): (25.7743, -80.1937),
    ("US", "miami gardens"): (25.9420, -80.2456),
    ("US", "midland"): (31.9974, -102.0779),
    ("US", "milwaukee"): (43.0389, -87.9065),
    ("US", "minneapolis"): (44.9800, -93.2638),
    ("US", "miramar"): (25.9873, -80.2323),
    ("US", "mobile"): (30.6944, -88.0430),
    ("US", "modesto"): (37.6391, -120.9969),
    ("US", "montgomery"): (32.3668, -86.3000),
    ("US", "montpelier"): (44.2601, -72.5754),
    ("US", "moreno valley"): (33.9375, -117.2306),
    ("US", "murfreesboro"): (35.8456, -86.3903),
    ("US", "murrieta"): (33.5539, -117.2139),
    ("US", "naperville"): (41.7859, -88.1473),
    ("US", "nashville"): (36.1659, -86.7844),
    ("US", "nashville davidson"): (36.1659, -86.7844),
    ("US", "new bedford"): (41.6353, -70.9270),
    ("US", "new haven"): (41.3081, -72.9282),
    ("US", "new orleans"): (29.9547, -90.0751),
    ("US", "new york"): (40.7143, -74.0060),
    ("US", "new york city"): (40.7143, -74.0060),
    ("US", "newark"): (40.7357, -74.1724),
    ("US", "newport news"): (36.9804, -76.4297),
    ("US", "norfolk"): (36.8468, -76.2852),
    ("US", "norman"): (35.2226, -97.4395),
    ("US", "north charleston"): (32.8546, -79.9748),
    ("US", "north las vegas"): (36.1989, -115.1175),
    ("US", "norwalk"): (33.9022, -118.0817),
    ("US", "nyc"): (40.7143, -74.0060),
    ("US", "oakland"): (37.8044, -122.2708),
    ("US", "oceanside"): (33.1959, -117.3795),
    ("US", "odessa"): (31.8457, -102.3676),
    ("US", "oklahoma city"): (35.4676, -97.5164),
    ("US", "olathe"): (38.8814, -94.8191),
    ("US", "olympia"): (47.0449, -122.9017),
    ("US", "omaha"): (41.2563, -95.9404),
    ("US", "ontario"): (34.0633, -117.6509),
    ("US", "orange"): (33.7878, -117.8531),
    ("US", "orlando"): (28.5383, -81.3792),
    ("US", "overland park"): (38.9822, -94.6708),
    ("US", "oxnard"): (34.1975, -119.1770),
    ("US", "palm bay"): (28.0345, -80.5887),
    ("US", "palmdale"): (34.5794, -118.1165),
    ("US", "pasadena"): (29.6911, -95.2091),
    ("US", "paterson"): (40.9168, -74.1718),
    ("US", "pearland"): (29.5636, -95.2861),
    ("US", "pembroke pines"): (26.0032, -80.2239),
    ("US", "peoria"): (33.5806, -112.2374),
    ("US", "philadelphia"): (39.9524, -75.1636),
    ("US", "phoenix"): (33.4484, -112.0740),
    ("US", "pierre"): (44.3683, -100.3510),
    ("US", "pittsburgh"): (40.4406, -79.9959),
    ("US", "plano"): (33.0198, -96.6989),
    ("US", "pomona"): (34.0553, -117.7523),
    ("US", "pompano beach"): (26.2379, -80.1248),
    ("US", "port saint lucie"): (27.2939, -80.3503),
    ("US", "portland"): (45.5234, -122.6762),
    ("US", "providence"): (41.8240, -71.4128),
    ("US", "provo"): (40.2338, -111.6585),
    ("US", "pueblo"): (38.2544, -104.6091),
    ("US", "queens"): (40.6815, -73.8365),
    ("US", "raleigh"): (35.7721, -78.6386),
    ("US", "rancho cucamonga"): (34.1064, -117.5931),
    ("US", "reno"): (39.5296, -119.8138),
    ("US", "renton"): (47.4829, -122.2171),
    ("US", "rialto"): (34.1064, -117.3703),
    ("US", "richardson"): (32.9482, -96.7297),
    ("US", "richmond"): (37.5538, -77.4603),
    ("US", "riverside"): (33.9534, -117.3962),
    ("US", "roanoke"): (37.2710, -79.9414),
    ("US", "rochester"): (43.1548, -77.6156),
    ("US", "rockford"): (42.2711, -89.0940),
    ("US", "roseville"): (38.7521, -121.2880),
    ("US", "round rock"): (30.5083, -97.6789),
    ("US", "sacramento"): (38.5816, -121.4944),
    ("US", "saint louis"): (38.6273, -90.1979),
    ("US", "saint paul"): (44.9444, -93.0933),
    ("US", "saint petersburg"): (27.7709, -82.6793),
    ("US", "salem"): (44.9429, -123.0351),
    ("US", "salinas"): (36.6777, -121.6555),
    ("US", "salt lake city"): (40.7608, -111.8911),
    ("US", "san antonio"): (29.4241, -98.4936),
    ("US", "san bernardino"): (34.1083, -117.2898),
    ("US", "san buenaventura"): (34.2783, -119.2932),
    ("US", "san diego"): (32.7157, -117.1647),
    ("US", "san francisco"): (37.7749, -122.4194),
    ("US", "san jose"): (37.3394, -121.8950),
    ("US", "san mateo"): (37.5630, -122.3255),
    ("US", "sandy springs"): (33.9243, -84.3785),
    ("US", "santa ana"): (33.7456, -117.8678),
    ("US", "santa clara"): (37.3541, -121.9552),
    ("US", "santa clarita"): (34.3917, -118.5426),
    ("US", "santa fe"): (35.6870, -105.9378),
    ("US", "santa maria"): (34.9530, -120.4357),
    ("US", "santa rosa"): (38.4405, -122.7144),
    ("US", "savannah"): (32.0835, -81.0998),
    ("US", "scottsdale"): (33.5092, -111.8990),
    ("US", "seattle"): (47.6062, -122.3321),
    ("US", "shreveport"): (32.5251, -93.7502),
    ("US", "simi valley"): (34.2694, -118.7815),
    ("US", "sioux falls"): (43.5437, -96.7280),
    ("US", "south bend"): (41.6834, -86.2500),
    ("US", "south fulton"): (33.5926, -84.6729),
    ("US", "spokane"): (47.6597, -117.4291),
    ("US", "springfield"): (37.2153, -93.2982),
    ("US", "stamford"): (41.0534, -73.5387),
    ("US", "staten island"): (40.5623, -74.1399),
    ("US", "sterling heights"): (42.5803, -83.0302),
    ("US", "stockton"): (37.9577, -121.2908),
    ("US", "sunnyvale"): (37.3688, -122.0363),
    ("US", "surprise"): (33.6306, -112.3332),
    ("US", "syracuse"): (43.0481, -76.1474),
    ("US", "tacoma"): (47.2529, -122.4443),
    ("US", "tallahassee"): (30.4383, -84.2807),
    ("US", "tampa"): (27.9475, -82.4584),
    ("US", "temecula"): (33.4936, -117.1484),
    ("US", "tempe"): (33.4148, -111.9093),
    ("US", "the bronx"): (40.8499, -73.8664),
    ("US", "thornton"): (39.8680, -104.9719),
    ("US", "thousand oaks"): (34.1706, -118.8376),
    ("US", "toledo"): (41.6639, -83.5552),
    ("US", "topeka"): (39.0483, -95.6780),
    ("US", "torrance"): (33.8359, -118.3406),
    ("US", "trenton"): (40.2171, -74.7429),
    ("US", "tucson"): (32.2217, -110.9265),
    ("US", "tulsa"): (36.1540, -95.9928),
    ("US", "tuscaloosa"): (33.2098, -87.5692),
    ("US", "tyler"): (32.3513, -95.3011),
    ("US", "urban honolulu"): (21.3069, -157.8583),
    ("US", "valencia"): (34.4436, -118.6095),
    ("US", "vallejo"): (38.1041, -122.2566),
    ("US", "van nuys"): (34.1867, -118.4490),
    ("US", "vancouver"): (45.6387, -122.6615),
    ("US", "ventura"): (34.2783, -119.2932),
    ("US", "victorville"): (34.5361, -117.2912),
    ("US", "virginia beach"): (36.8529, -75.9780),
    ("US", "visalia"): (36.3302, -119.2921),
    ("US", "vista"): (33.2000, -117.2425),
    ("US", "waco"): (31.5493, -97.1467),
    ("US", "warren"): (42.4904, -83.0130),
    ("US", "washington"): (38.8951, -77.0364),
    ("US", "washington dc"): (38.8951, -77.0364),
    ("US", "waterbury"): (41.5581, -73.0515),
    ("US", "west covina"): (34.0686, -117.9390),
    ("US", "west jordan"): (40.6097, -111.9391),
    ("US", "west palm beach"): (26.7153, -80.0534),
    ("US", "west valley city"): (40.6916, -112.0011),
    ("US", "westminster"): (39.8366, -105.0372),
    ("US", "wichita"): (37.6922, -97.3375),
    ("US", "wichita falls"): (33.9137, -98.4934),
    ("US", "wilmington"): (34.2356, -77.9460),
    ("US", "winston salem"): (36.0999, -80.2442),
    ("US", "worcester"): (42.2626, -71.8023),
    ("US", "yonkers"): (40.9304, -73.8979),
    # AE
    ("AE", "abu dhabi"): (24.4512, 54.3970),
    ("AE", "dubai"): (25.0772, 55.3093),
    # AR
    ("AR", "buenos aires"): (-34.6131, -58.3772),
    ("AR", "cordoba"): (-31.4065, -64.1885),
    # AT
    ("AT", "graz"): (47.0673, 15.4420),
    ("AT", "innsbruck"): (47.2627, 11.3945),
    ("AT", "linz"): (48.3064, 14.2861),
    ("AT", "salzburg"): (47.7994, 13.0440),
    ("AT", "vienna"): (48.2085, 16.3721),
    ("AT", "wien"): (48.2085, 16.3721),
    # AU
    ("AU", "adelaide"): (-34.9287, 138.5986),
    ("AU", "ballarat"): (-37.5662, 143.8496),
    ("AU", "bendigo"): (-36.7582, 144.2802),
    ("AU", "brisbane"): (-27.4679, 153.0281),
    ("AU", "cairns"): (-16.9237, 145.7661),
    ("AU", "canberra"): (-35.2835, 149.1281),
    ("AU", "darwin"): (-12.4611, 130.8418),
    ("AU", "geelong"): (-38.1471, 144.3607),
    ("AU", "gold coast"): (-28.0003, 153.4309),
    ("AU", "hobart"): (-42.8794, 147.3294),
    ("AU", "launceston"): (-41.4388, 147.1347),
    ("AU", "mackay"): (-21.1534, 149.1655),
    ("AU", "melbourne"): (-37.8140, 144.9633),
    ("AU", "newcastle"): (-32.9295, 151.7801),
    ("AU", "perth"): (-31.9522, 115.8614),
    ("AU", "sunshine coast"): (-26.6568, 153.0796),
    ("AU", "sydney"): (-33.8678, 151.2073),
    ("AU", "toowoomba"): (-27.5606, 151.9539),
    ("AU", "townsville"): (-19.2664, 146.8057),
    ("AU", "wollongong"): (-34.4240, 150.8935),
    # BE
    ("BE", "antwerp"): (51.2205, 4.4003),
    ("BE", "antwerpen"): (51.2205, 4.4003),
    ("BE", "bruges"): (51.2089, 3.2242),
    ("BE", "brugge"): (51.2089, 3.2242),
    ("BE", "brussel"): (50.8505, 4.3488),
    ("BE", "brussels"): (50.8505, 4.3488),
    ("BE", "bruxelles"): (50.8505, 4.3488),
    ("BE", "charleroi"): (50.4114, 4.4445),
    ("BE", "gent"): (51.0500, 3.7167),
    ("BE", "ghent"): (51.0500, 3.7167),
    ("BE", "leuven"): (50.8796, 4.7009),
    ("BE", "liege"): (50.6337, 5.5675),
    ("BE", "namur"): (50.4669, 4.8675),
    # BR
    ("BR", "belo horizonte"): (-19.9208, -43.9378),
    ("BR", "brasilia"): (-15.7797, -47.9297),
    ("BR", "rio de janeiro"): (-22.9064, -43.1822),
    ("BR", "sao paulo"): (-23.5475, -46.6361),
    # CA
    ("CA", "abbotsford"): (49.0580, -122.2526),
    ("CA", "barrie"): (44.4001, -79.6663),
    ("CA", "brampton"): (43.6834, -79.7663),
    ("CA", "brantford"): (43.1334, -80.2664),
    ("CA", "burlington"): (43.3862, -79.8371),
    ("CA", "burnaby"): (49.2664, -122.9526),
    ("CA", "calgary"): (51.0501, -114.0853),
    ("CA", "cambridge"): (43.3601, -80.3127),
    ("CA", "charlottetown"): (46.2346, -63.1256),
    ("CA", "edmonton"): (53.5501, -113.4687),
    ("CA", "etobicoke"): (43.6442, -79.5699),
    ("CA", "fredericton"): (45.9454, -66.6656),
    ("CA", "gatineau"): (45.4772, -75.7016),
    ("CA", "greater sudbury"): (46.4900, -80.9900),
    ("CA", "guelph"): (43.5459, -80.2560),
    ("CA", "halifax"): (44.6427, -63.5769),
    ("CA", "hamilton"): (43.2501, -79.8496),
    ("CA", "iqaluit"): (63.7470, -68.5173),
    ("CA", "kamloops"): (50.6665, -120.3192),
    ("CA", "kelowna"): (49.8831, -119.4857),
    ("CA", "kingston"): (44.2298, -76.4810),
    ("CA", "kitchener"): (43.4254, -80.5112),
    ("CA", "laval"): (45.5699, -73.6920),
    ("CA", "lethbridge"): (49.7000, -112.8186),
    ("CA", "levis"): (46.8033, -71.1779),
    ("CA", "london"): (42.9834, -81.2330),
    ("CA", "longueuil"): (45.5152, -73.4682),
    ("CA", "markham"): (43.8668, -79.2663),
    ("CA", "mississauga"): (43.5789, -79.6583),
    ("CA", "moncton"): (46.0945, -64.7965),
    ("CA", "montreal"): (45.5088, -73.5878),
    ("CA", "nanaimo"): (49.1664, -123.9400),
    ("CA", "nepean"): (45.3362, -75.7225),
    ("CA", "oakville"): (43.4501, -79.6829),
    ("CA", "oshawa"): (43.9001, -78.8496),
    ("CA", "ottawa"): (45.4112, -75.6981),
    ("CA", "peterborough"): (44.3001, -78.3162),
    ("CA", "quebec"): (46.8123, -71.2145),
    ("CA", "quebec city"): (46.8123, -71.2145),
    ("CA", "red deer"): (52.2668, -113.8020),
    ("CA", "regina"): (50.4501, -104.6178),
    ("CA", "richmond"): (49.1700, -123.1368),
    ("CA", "saguenay"): (48.4168, -71.0657),
    ("CA", "saint john"): (45.2708, -66.0562),
    ("CA", "saint johns"): (47.5649, -52.7093),
    ("CA", "saskatoon"): (52.1324, -106.6689),
    ("CA", "sault sainte marie"): (46.5168, -84.3333),
    ("CA", "sherbrooke"): (45.4001, -71.8991),
    ("CA", "sudbury"): (46.4900, -80.9900),
    ("CA", "surrey"): (49.1063, -122.8251),
    ("CA", "thunder bay"): (48.3820, -89.2502),
    ("CA", "toronto"): (43.7064, -79.3986),
    ("CA", "trois rivieres"): (46.3451, -72.5477),
    ("CA", "vancouver"): (49.2497, -123.1193),
    ("CA", "vaughan"): (43.8361, -79.4983),
    ("CA", "victoria"): (48.4359, -123.3516),
    ("CA", "waterloo"): (43.4668, -80.5164),
    ("CA", "whitehorse"): (60.7161, -135.0538),
    ("CA", "windsor"): (42.3001, -83.0165),
    ("CA", "winnipeg"): (49.8844, -97.1470),
    ("CA", "yellowknife"): (62.4541, -114.3725),
    # CH
    ("CH", "basel"): (47.5584, 7.5733),
    ("CH", "bern"): (46.9481, 7.4474),
    ("CH", "geneva"): (46.2022, 6.1457),
    ("CH", "geneve"): (46.2022, 6.1457),
    ("CH", "genf"): (46.2022, 6.1457),
    ("CH", "lausanne"): (46.5160, 6.6328),
    ("CH", "zurich"): (47.3667, 8.5500),
    # CL
    ("CL", "santiago"): (-33.4569, -70.6483),
    # CN
    ("CN", "beijing"): (39.9075, 116.3972),
    ("CN", "guangzhou"): (23.1167, 113.2500),
    ("CN", "shanghai"): (31.2222, 121.4581),
    ("CN", "shenzhen"): (22.5455, 114.0683),
    # CO
    ("CO", "bogota"): (4.6097, -74.0817),
    ("CO", "medellin"): (6.2450, -75.5715),
    # CZ
    ("CZ", "brno"): (49.1952, 16.6080),
    ("CZ", "ostrava"): (49.8347, 18.2820),
    ("CZ", "prague"): (50.0880, 14.4208),
    ("CZ", "praha"): (50.0880, 14.4208),
    # DE
    ("DE", "aachen"): (50.7766, 6.0834),
    ("DE", "augsburg"): (48.3715, 10.8985),
    ("DE", "berlin"): (52.5244, 13.4105),
    ("DE", "bielefeld"): (52.0333, 8.5333),
    ("DE", "bochum"): (51.4817, 7.2165),
    ("DE", "bonn"): (50.7344, 7.0955),
    ("DE", "bremen"): (53.0758, 8.8072),
    ("DE", "cologne"): (50.9333, 6.9500),
    ("DE", "dortmund"): (51.5149, 7.4660),
    ("DE", "dresden"): (51.0509, 13.7383),
    ("DE", "duisburg"): (51.4325, 6.7652),
    ("DE", "dusseldorf"): (51.2232, 6.7793),
    ("DE", "erfurt"): (50.9773, 11.0354),
    ("DE", "essen"): (51.4566, 7.0123),
    ("DE", "frankfurt"): (50.1155, 8.6842),
    ("DE", "frankfurt am main"): (50.1155, 8.6842),
    ("DE", "freiburg"): (47.9959, 7.8522),
    ("DE", "hamburg"): (53.5507, 9.9930),
    ("DE", "hannover"): (52.3705, 9.7332),
    ("DE", "hanover"): (52.3705, 9.7332),
    ("DE", "heidelberg"): (49.4077, 8.6908),
    ("DE", "karlsruhe"): (49.0094, 8.4044),
    ("DE", "kassel"): (51.3167, 9.5000),
    ("DE", "kiel"): (54.3213, 10.1349),
    ("DE", "koeln"): (50.9333, 6.9500),
    ("DE", "koln"): (50.9333, 6.9500),
    ("DE", "leipzig"): (51.3396, 12.3713),
    ("DE", "magdeburg"): (52.1313, 11.6319),
    ("DE", "mainz"): (49.9819, 8.2801),
    ("DE", "mannheim"): (49.4891, 8.4669),
    ("DE", "muenchen"): (48.1374, 11.5755),
    ("DE", "munchen"): (48.1374, 11.5755),
    ("DE", "munich"): (48.1374, 11.5755),
    ("DE", "munster"): (51.9624, 7.6257),
    ("DE", "nuremberg"): (49.4542, 11.0775),
    ("DE", "nurnberg"): (49.4542, 11.0775),
    ("DE", "potsdam"): (52.3989, 13.0657),
    ("DE", "regensburg"): (49.0151, 12.1016),
    ("DE", "rostock"): (54.0887, 12.1405),
    ("DE", "stuttgart"): (48.7823, 9.1770),
    ("DE", "wiesbaden"): (50.0860, 8.2444),
    ("DE", "wuppertal"): (51.2563, 7.1482),
    # DK
    ("DK", "aalborg"): (57.0480, 9.9187),
    ("DK", "aarhus"): (56.1567, 10.2108),
    ("DK", "arhus"): (56.1567, 10.2108),
    ("DK", "copenhagen"): (55.6759, 12.5655),
    ("DK", "kobenhavn"): (55.6759, 12.5655),
    ("DK", "odense"): (55.3959, 10.3883),
    # ES
    ("ES", "alicante"): (38.3452, -0.4815),
    ("ES", "barcelona"): (41.3888, 2.1590),
    ("ES", "bilbao"): (43.2627, -2.9253),
    ("ES", "cordoba"): (37.8916, -4.7728),
    ("ES", "granada"): (37.1882, -3.6067),
    ("ES", "las palmas de gran canaria"): (28.1018, -15.4157),
    ("ES", "madrid"): (40.4165, -3.7026),
    ("ES", "malaga"): (36.7202, -4.4203),
    ("ES", "murcia"): (37.9870, -1.1300),
    ("ES", "palma"): (39.5694, 2.6502),
    ("ES", "sevilla"): (37.3828, -5.9732),
    ("ES", "seville"): (37.3828, -5.9732),
    ("ES", "valencia"): (39.4739, -0.3797),
    ("ES", "valladolid"): (41.6554, -4.7235),
    ("ES", "zaragoza"): (41.6561, -0.8773),
    # FI
    ("FI", "espoo"): (60.2052, 24.6522),
    ("FI", "helsinki"): (60.1695, 24.9354),
    ("FI", "oulu"): (65.0124, 25.4682),
    ("FI", "tampere"): (61.4991, 23.7871),
    ("FI", "turku"): (60.4515, 22.2687),
    # FR
    ("FR", "ajaccio"): (41.9189, 8.7381),
    ("FR", "amiens"): (49.9000, 2.3000),
    ("FR", "angers"): (47.4716, -0.5520),
    ("FR", "besancon"): (47.2488, 6.0182),
    ("FR", "bordeaux"): (44.8412, -0.5805),
    ("FR", "brest"): (48.3903, -4.4863),
    ("FR", "caen"): (49.1859, -0.3591),
    ("FR", "clermont ferrand"): (45.7797, 3.0868),
    ("FR", "dijon"): (47.3134, 5.0139),
    ("FR", "grenoble"): (45.1787, 5.7148),
    ("FR", "le havre"): (49.4935, 0.1079),
    ("FR", "le mans"): (48.0021, 0.2025),
    ("FR", "lille"): (50.6339, 3.0551),
    ("FR", "limoges"): (45.8336, 1.2476),
    ("FR", "lyon"): (45.7491, 4.8479),
    ("FR", "marseille"): (43.2970, 5.3811),
    ("FR", "metz"): (49.1191, 6.1727),
    ("FR", "montpellier"): (43.6109, 3.8763),
    ("FR", "nancy"): (48.6844, 6.1850),
    ("FR", "nantes"): (47.2172, -1.5534),
    ("FR", "nice"): (43.7031, 7.2661),
    ("FR", "nimes"): (43.8366, 4.3579),
    ("FR", "orleans"): (47.9025, 1.9041),
    ("FR", "paris"): (48.8534, 2.3488),
    ("FR", "perpignan"): (42.6976, 2.8954),
    ("FR", "reims"): (49.2653, 4.0285),
    ("FR", "rennes"): (48.1111, -1.6743),
    ("FR", "rouen"): (49.4431, 1.0993),
    ("FR", "saint etienne"): (45.4339, 4.3900),
    ("FR", "strasbourg"): (48.5839, 7.7455),
    ("FR", "toulon"): (43.1244, 5.9284),
    ("FR", "toulouse"): (43.6043, 1.4437),
    ("FR", "tours"): (47.3948, 0.7040),
    # GB
    ("GB", "aberdeen"): (57.1437, -2.0981),
    ("GB", "bath"): (51.3751, -2.3617),
    ("GB", "belfast"): (54.5968, -5.9254),
    ("GB", "birmingham"): (52.4814, -1.8998),
    ("GB", "bournemouth"): (50.7205, -1.8795),
    ("GB", "bradford"): (53.7939, -1.7521),
    ("GB", "brighton"): (50.8284, -0.1395),
    ("GB", "bristol"): (51.4552, -2.5966),
    ("GB", "cambridge"): (52.2000, 0.1167),
    ("GB", "cardiff"): (51.4800, -3.1800),
    ("GB", "coventry"): (52.4066, -1.5122),
    ("GB", "derby"): (52.9228, -1.4766),
    ("GB", "dundee"): (56.4691, -2.9749),
    ("GB", "edinburgh"): (55.9521, -3.1965),
    ("GB", "exeter"): (50.7236, -3.5275),
    ("GB", "glasgow"): (55.8651, -4.2576),
    ("GB", "gloucester"): (51.8657, -2.2431),
    ("GB", "hull"): (53.7446, -0.3352),
    ("GB", "inverness"): (57.4791, -4.2240),
    ("GB", "ipswich"): (52.0592, 1.1555),
    ("GB", "kingston upon hull"): (53.7446, -0.3352),
    ("GB", "leeds"): (53.7965, -1.5478),
    ("GB", "leicester"): (52.6386, -1.1317),
    ("GB", "liverpool"): (53.4106, -2.9779),
    ("GB", "london"): (51.5085, -0.1257),
    ("GB", "luton"): (51.8797, -0.4175),
    ("GB", "manchester"): (53.4809, -2.2374),
    ("GB", "middlesbrough"): (54.5762, -1.2348),
    ("GB", "milton keynes"): (52.0417, -0.7558),
    ("GB", "newcastle"): (54.9733, -1.6140),
    ("GB", "newcastle upon tyne"): (54.9733, -1.6140),
    ("GB", "northampton"): (52.2500, -0.8833),
    ("GB", "norwich"): (52.6278, 1.2983),
    ("GB", "nottingham"): (52.9536, -1.1505),
    ("GB", "oxford"): (51.7522, -1.2560),
    ("GB", "peterborough"): (52.5736, -0.2478),
    ("GB", "plymouth"): (50.3715, -4.1430),
    ("GB", "portsmouth"): (50.7990, -1.0913),
    ("GB", "preston"): (53.7628, -2.7045),
    ("GB", "reading"): (51.4562, -0.9711),
    ("GB", "sheffield"): (53.3830, -1.4659),
    ("GB", "southampton"): (50.9040, -1.4043),
    ("GB", "southend on sea"): (51.5378, 0.7143),
    ("GB", "stoke on trent"): (53.0042, -2.1854),
    ("GB", "sunderland"): (54.9046, -1.3822),
    ("GB", "swansea"): (51.6208, -3.9432),
    ("GB", "swindon"): (51.5580, -1.7812),
    ("GB", "westminster"): (51.4975, -0.1357),
    ("GB", "wolverhampton"): (52.5855, -2.1230),
    ("GB", "york"): (53.9576, -1.0827),
    # GR
    ("GR", "athens"): (37.9838, 23.7278),
    ("GR", "thessaloniki"): (40.6407, 22.9349),
    # HK
    ("HK", "hong kong"): (22.2783, 114.1747),
    # HU
    ("HU", "budapest"): (47.4984, 19.0404),
    # IE
    ("IE", "cork"): (51.8980, -8.4706),
    ("IE", "dublin"): (53.3331, -6.2489),
    ("IE", "galway"): (53.2724, -9.0510),
    ("IE", "limerick"): (52.6647, -8.6231),
    ("IE", "waterford"): (52.2583, -7.1119),
    # IL
    ("IL", "jerusalem"): (31.7690, 35.2163),
    ("IL", "tel aviv"): (32.0809, 34.7806),
    # IN
    ("IN", "bangalore"): (12.9719, 77.5937),
    ("IN", "bengaluru"): (12.9719, 77.5937),
    ("IN", "chennai"): (13.0878, 80.2785),
    ("IN", "delhi"): (28.6519, 77.2315),
    ("IN", "hyderabad"): (17.3840, 78.4564),
    ("IN", "kolkata"): (22.5626, 88.3630),
    ("IN", "mumbai"): (19.0728, 72.8826),
    ("IN", "new delhi"): (28.6214, 77.2148),
    # IS
    ("IS", "reykjavik"): (64.1355, -21.8954),
    # IT
    ("IT", "bari"): (41.1207, 16.8698),
    ("IT", "bologna"): (44.4938, 11.3387),
    ("IT", "catania"): (37.4922, 15.0704),
    ("IT", "firenze"): (43.7792, 11.2463),
    ("IT", "florence"): (43.7792, 11.2463),
    ("IT", "genoa"): (44.4048, 8.9444),
    ("IT", "genova"): (44.4048, 8.9444),
    ("IT", "milan"): (45.4643, 9.1895),
    ("IT", "milano"): (45.4643, 9.1895),
    ("IT", "naples"): (40.8522, 14.2681),
    ("IT", "napoli"): (40.8522, 14.2681),
    ("IT", "palermo"): (38.1166, 13.3636),
    ("IT", "roma"): (41.8919, 12.5113),
    ("IT", "rome"): (41.8919, 12.5113),
    ("IT", "torino"): (45.0705, 7.6868),
    ("IT", "turin"): (45.0705, 7.6868),
    ("IT", "venezia"): (45.4371, 12.3326),
    ("IT", "venice"): (45.4371, 12.3326),
    ("IT", "verona"): (45.4385, 10.9938),
    # JP
    ("JP", "fukuoka"): (33.6000, 130.4167),
    ("JP", "kobe"): (34.6913, 135.1830),
    ("JP", "kyoto"): (35.0211, 135.7538),
    ("JP", "nagoya"): (35.1815, 136.9064),
    ("JP", "osaka"): (34.6938, 135.5011),
    ("JP", "sapporo"): (43.0667, 141.3500),
    ("JP", "tokyo"): (35.6895, 139.6917),
    ("JP", "yokohama"): (35.4333, 139.6500),
    # KR
    ("KR", "busan"): (35.1017, 129.0300),
    ("KR", "incheon"): (37.4565, 126.7052),
    ("KR", "seoul"): (37.5660, 126.9784),
    # LU
    ("LU", "luxembourg"): (49.6098, 6.1327),
    # MX
    ("MX", "acapulco"): (16.8494, -99.9089),
    ("MX", "acapulco de juarez"): (16.8494, -99.9089),
    ("MX", "aguascalientes"): (21.8826, -102.2843),
    ("MX", "cancun"): (21.1743, -86.8466),
    ("MX", "cdmx"): (19.4285, -99.1277),
    ("MX", "chihuahua"): (28.6353, -106.0889),
    ("MX", "ciudad de mexico"): (19.4285, -99.1277),
    ("MX", "ciudad juarez"): (31.7202, -106.4608),
    ("MX", "culiacan"): (24.8021, -107.3942),
    ("MX", "guadalajara"): (20.6774, -103.3475),
    ("MX", "hermosillo"): (29.0887, -110.9668),
    ("MX", "juarez"): (31.7202, -106.4608),
    ("MX", "leon"): (21.1218, -101.6825),
    ("MX", "leon de los aldama"): (21.1218, -101.6825),
    ("MX", "merida"): (20.9670, -89.6232),
    ("MX", "mexicali"): (32.6278, -115.4545),
    ("MX", "mexico city"): (19.4285, -99.1277),
    ("MX", "monterrey"): (25.6843, -100.3172),
    ("MX", "morelia"): (19.7008, -101.1844),
    ("MX", "oaxaca"): (17.0602, -96.7254),
    ("MX", "puebla"): (19.0478, -98.2072),
    ("MX", "queretaro"): (20.5881, -100.3881),
    ("MX", "saltillo"): (25.4260, -100.9796),
    ("MX", "san luis potosi"): (22.1523, -100.9714),
    ("MX", "santiago de queretaro"): (20.5881, -100.3881),
    ("MX", "tijuana"): (32.5027, -117.0037),
    ("MX", "toluca"): (19.2879, -99.6532),
    ("MX", "torreon"): (25.5439, -103.4190),
    ("MX", "veracruz"): (19.1809, -96.1429),
    ("MX", "zapopan"): (20.7211, -103.3874),
    # NL
    ("NL", "amsterdam"): (52.3740, 4.8897),
    ("NL", "arnhem"): (51.9800, 5.9111),
    ("NL", "breda"): (51.5866, 4.7760),
    ("NL", "den haag"): (52.0767, 4.2986),
    ("NL", "eindhoven"): (51.4408, 5.4778),
    ("NL", "groningen"): (53.2192, 6.5667),
    ("NL", "haarlem"): (52.3808, 4.6368),
    ("NL", "maastricht"): (50.8483, 5.6889),
    ("NL", "nijmegen"): (51.8425, 5.8528),
    ("NL", "rotterdam"): (51.9225, 4.4792),
    ("NL", "the hague"): (52.0767, 4.2986),
    ("NL", "tilburg"): (51.5555, 5.0913),
    ("NL", "utrecht"): (52.0908, 5.1222),
    # NO
    ("NO", "bergen"): (60.3930, 5.3242),
    ("NO", "oslo"): (59.9127, 10.7461),
    ("NO", "stavanger"): (58.9701, 5.7333),
    ("NO", "trondheim"): (63.4305, 10.3951),
    # NZ
    ("NZ", "auckland"): (-36.8485, 174.7635),
    ("NZ", "christchurch"): (-43.5333, 172.6333),
    ("NZ", "dunedin"): (-45.8742, 170.5036),
    ("NZ", "hamilton"): (-37.7833, 175.2833),
    ("NZ", "tauranga"): (-37.6861, 176.1667),
    ("NZ", "wellington"): (-41.2866, 174.7756),
    # PE
    ("PE", "lima"): (-12.0432, -77.0282),
    # PH
    ("PH", "manila"): (14.6042, 120.9822),
    ("PH", "quezon city"): (14.6488, 121.0509),
    # PL
    ("PL", "gdansk"): (54.3523, 18.6491),
    ("PL", "krakow"): (50.0614, 19.9366),
    ("PL", "lodz"): (51.7706, 19.4739),
    ("PL", "poznan"): (52.4069, 16.9299),
    ("PL", "warsaw"): (52.2298, 21.0118),
    ("PL", "warszawa"): (52.2298, 21.0118),
    ("PL", "wroclaw"): (51.1029, 17.0301),
    # PT
    ("PT", "braga"): (41.5514, -8.4231),
    ("PT", "coimbra"): (40.2069, -8.4200),
    ("PT", "faro"): (37.0187, -7.9272),
    ("PT", "lisboa"): (38.7251, -9.1498),
    ("PT", "lisbon"): (38.7251, -9.1498),
    ("PT", "porto"): (41.1485, -8.6110),
    # SE
    ("SE", "goteborg"): (57.7072, 11.9668),
    ("SE", "gothenburg"): (57.7072, 11.9668),
    ("SE", "malmo"): (55.6059, 13.0007),
    ("SE", "stockholm"): (59.3294, 18.0687),
    ("SE", "uppsala"): (59.8588, 17.6389),
    # SG
    ("SG", "singapore"): (1.2897, 103.8501),
    # TR
    ("TR", "ankara"): (39.9199, 32.8543),
    ("TR", "istanbul"): (41.0138, 28.9497),
    # TW
    ("TW", "taipei"): (25.0531, 121.5264),
    # ZA
    ("ZA", "cape town"): (-33.9258, 18.4232),
    ("ZA", "durban"): (-29.8579, 31.0292),
    ("ZA", "johannesburg"): (-26.2023, 28.0436),
    ("ZA", "pretoria"): (-25.7449, 28.1878),
}

US_CITY_STATES: dict[str, str] = {
    "abilene": "TX",
    "akron": "OH",
    "albany": "NY",
    "albuquerque": "NM",
    "alexandria": "VA",
    "allentown": "PA",
    "amarillo": "TX",
    "amherst": "NY",
    "anaheim": "CA",
    "anchorage": "AK",
    "ann arbor": "MI",
    "annapolis": "MD",
    "antioch": "CA",
    "arlington": "TX",
    "arvada": "CO",
    "athens": "GA",
    "atlanta": "GA",
    "augusta": "GA",
    "aurora": "CO",
    "austin": "TX",
    "bakersfield": "CA",
    "baltimore": "MD",
    "baton rouge": "LA",
    "beaumont": "TX",
    "bellevue": "WA",
    "berkeley": "CA",
    "billings": "MT",
    "birmingham": "AL",
    "bismarck": "ND",
    "boise": "ID",
    "boise city": "ID",
    "boston": "MA",
    "boulder": "CO",
    "brandon": "FL",
    "bridgeport": "CT",
    "broken arrow": "OK",
    "bronx": "NY",
    "brooklyn": "NY",
    "brownsville": "TX",
    "buffalo": "NY",
    "burbank": "CA",
    "burlington": "VT",
    "cambridge": "MA",
    "cape coral": "FL",
    "carlsbad": "CA",
    "carrollton": "TX",
    "carson city": "NV",
    "cary": "NC",
    "casper": "WY",
    "cedar rapids": "IA",
    "centennial": "CO",
    "chandler": "AZ",
    "charleston": "SC",
    "charlotte": "NC",
    "chattanooga": "TN",
    "chesapeake": "VA",
    "cheyenne": "WY",
    "chicago": "IL",
    "chico": "CA",
    "chula vista": "CA",
    "cincinnati": "OH",
    "clarksville": "TN",
    "clearwater": "FL",
    "cleveland": "OH",
    "clovis": "CA",
    "college station": "TX",
    "colorado springs": "CO",
    "columbia": "SC",
    "columbus": "OH",
    "concord": "CA",
    "coral springs": "FL",
    "corpus christi": "TX",
    "costa mesa": "CA",
    "dallas": "TX",
    "daly city": "CA",
    "davenport": "IA",
    "davie": "FL",
    "dayton": "OH",
    "denton": "TX",
    "denver": "CO",
    "des moines": "IA",
    "detroit": "MI",
    "dover": "DE",
    "downey": "CA",
    "durham": "NC",
    "east los angeles": "CA",
    "edison": "NJ",
    "el cajon": "CA",
    "el monte": "CA",
    "el paso": "TX",
    "elgin": "IL",
    "elizabeth": "NJ",
    "elk grove": "CA",
    "escondido": "CA",
    "eugene": "OR",
    "evansville": "IN",
    "everett": "WA",
    "fairbanks": "AK",
    "fairfield": "CA",
    "fargo": "ND",
    "fayetteville": "NC",
    "fontana": "CA",
    "fort collins": "CO",
    "fort lauderdale": "FL",
    "fort wayne": "IN",
    "fort worth": "TX",
    "frankfort": "KY",
    "fremont": "CA",
    "fresno": "CA",
    "frisco": "TX",
    "fullerton": "CA",
    "gainesville": "FL",
    "garden grove": "CA",
    "garland": "TX",
    "gilbert": "AZ",
    "glendale": "AZ",
    "grand prairie": "TX",
    "grand rapids": "MI",
    "greeley": "CO",
    "green bay": "WI",
    "greensboro": "NC",
    "gresham": "OR",
    "hampton": "VA",
    "harrisburg": "PA",
    "hartford": "CT",
    "hayward": "CA",
    "helena": "MT",
    "henderson": "NV",
    "hialeah": "FL",
    "high point": "NC",
    "hillsboro": "OR",
    "honolulu": "HI",
    "houston": "TX",
    "huntington beach": "CA",
    "huntsville": "AL",
    "independence": "MO",
    "indianapolis": "IN",
    "inglewood": "CA",
    "irvine": "CA",
    "irving": "TX",
    "jackson": "MS",
    "jacksonville": "FL",
    "jefferson city": "MO",
    "jersey city": "NJ",
    "joliet": "IL",
    "juneau": "AK",
    "kansas city": "MO",
    "kent": "WA",
    "killeen": "TX",
    "knoxville": "TN",
    "lafayette": "LA",
    "lakeland": "FL",
    "lakewood": "CO",
    "lancaster": "CA",
    "lansing": "MI",
    "laredo": "TX",
    "las cruces": "NM",
    "las vegas": "NV",
    "lewisville": "TX",
    "lexington": "KY",
    "lexington fayette": "KY",
    "lincoln": "NE",
    "little rock": "AR",
    "long beach": "CA",
    "los angeles": "CA",
    "louisville": "KY",
    "louisville jefferson county": "KY",
    "lowell": "MA",
    "lubbock": "TX",
    "madison": "WI",
    "manchester": "NH",
    "manhattan": "NY",
    "mcallen": "TX",
    "mckinney": "TX",
    "memphis": "TN",
    "mesa": "AZ",
    "mesquite": "TX",
    "metairie": "LA",
    "miami": "FL",
    "miami gardens": "FL",
    "midland": "TX",
    "milwaukee": "WI",
    "minneapolis": "MN",
    "miramar": "FL",
    "mobile": "AL",
    "modesto": "CA",
    "montgomery": "AL",
    "montpelier": "VT",
    "moreno valley": "CA",
    "murfreesboro": "TN",
    "murrieta": "CA",
    "naperville": "IL",
    "nashville": "TN",
    "nashville davidson": "TN",
    "new bedford": "MA",
    "new haven": "CT",
    "new orleans": "LA",
    "new york": "NY",
    "new york city": "NY",
    "newark": "NJ",
    "newport news": "VA",
    "norfolk": "VA",
    "norman": "OK",
    "north charleston": "SC",
    "north las vegas": "NV",
    "norwalk": "CA",
    "nyc": "NY",
    "oakland": "CA",
    "oceanside": "CA",
    "odessa": "TX",
    "oklahoma city": "OK",
    "olathe": "KS",
    "olympia": "WA",
    "omaha": "NE",
    "ontario": "CA",
    "orange": "CA",
    "orlando": "FL",
    "overland park": "KS",
    "oxnard": "CA",
    "palm bay": "FL",
    "palmdale": "CA",
    "pasadena": "TX",
    "paterson": "NJ",
    "pearland": "TX",
    "pembroke pines": "FL",
    "peoria": "AZ",
    "philadelphia": "PA",
    "phoenix": "AZ",
    "pierre": "SD",
    "pittsburgh": "PA",
    "plano": "TX",
    "pomona": "CA",
    "pompano beach": "FL",
    "port saint lucie": "FL",
    "portland": "OR",
    "providence": "RI",
    "provo": "UT",
    "pueblo": "CO",
    "queens": "NY",
    "raleigh": "NC",
    "rancho cucamonga": "CA",
    "reno": "NV",
    "renton": "WA",
    "rialto": "CA",
    "richardson": "TX",
    "richmond": "VA",
    "riverside": "CA",
    "roanoke": "VA",
    "rochester": "NY",
    "rockford": "IL",
    "roseville": "CA",
    "round rock": "TX",
    "sacramento": "CA",
    "saint louis": "MO",
    "saint paul": "MN",
    "saint petersburg": "FL",
    "salem": "OR",
    "salinas": "CA",
    "salt lake city": "UT",
    "san antonio": "TX",
    "san bernardino": "CA",
    "san buenaventura": "CA",
    "san diego": "CA",
    "san francisco": "CA",
    "san jose": "CA",
    "san mateo": "CA",
    "sandy springs": "GA",
    "santa ana": "CA",
    "santa clara": "CA",
    "santa clarita": "CA",
    "santa fe": "NM",
    "santa maria": "CA",
    "santa rosa": "CA",
    "savannah": "GA",
    "scottsdale": "AZ",
    "seattle": "WA",
    "shreveport": "LA",
    "simi valley": "CA",
    "sioux falls": "SD",
    "south bend": "IN",
    "south fulton": "GA",
    "spokane": "WA",
    "springfield": "MO",
    "stamford": "CT",
    "staten island": "NY",
    "sterling heights": "MI",
    "stockton": "CA",
    "sunnyvale": "CA",
    "surprise": "AZ",
    "syracuse": "NY",
    "tacoma": "WA",
    "tallahassee": "FL",
    "tampa": "FL",
    "temecula": "CA",
    "tempe": "AZ",
    "the bronx": "NY",
    "thornton": "CO",
    "thousand oaks": "CA",
    "toledo": "OH",
    "topeka": "KS",
    "torrance": "CA",
    "trenton": "NJ",
    "tucson": "AZ",
    "tulsa": "OK",
    "tuscaloosa": "AL",
    "tyler": "TX",
    "urban honolulu": "HI",
    "valencia": "CA",
    "vallejo": "CA",
    "van nuys": "CA",
    "vancouver": "WA",
    "ventura": "CA",
    "victorville": "CA",
    "virginia beach": "VA",
    "visalia": "CA",
    "vista": "CA",
    "waco": "TX",
    "warren": "MI",
    "washington": "DC",
    "washington dc": "DC",
    "waterbury": "CT",
    "west covina": "CA",
    "west jordan": "UT",
    "west palm beach": "FL",
    "west valley city": "UT",
    "westminster": "CO",
    "wichita": "KS",
    "wichita falls": "TX",
    "wilmington": "NC",
    "winston salem": "NC",
    "worcester": "MA",
    "yonkers": "NY",
}

US_CITY_ALTERNATES: dict[tuple[str, str], tuple[float, float]] = {
    ("AL", "madison"): (34.6993, -86.7483),
    ("AR", "fayetteville"): (36.0626, -94.1574),
    ("CA", "beaumont"): (33.9295, -116.9772),
    ("CA", "glendale"): (34.1425, -118.2551),
    ("CA", "lakewood"): (33.8536, -118.1340),
    ("CA", "lincoln"): (38.8916, -121.2930),
    ("CA", "newark"): (37.5297, -122.0402),
    ("CA", "pasadena"): (34.1478, -118.1445),
    ("CA", "richmond"): (37.9358, -122.3478),
    ("CA", "westminster"): (33.7592, -118.0067),
    ("CA", "wilmington"): (33.7800, -118.2626),
    ("CT", "fairfield"): (41.1412, -73.2637),
    ("CT", "norwalk"): (41.1176, -73.4079),
    ("DE", "wilmington"): (39.7460, -75.5466),
    ("GA", "albany"): (31.5785, -84.1557),
    ("GA", "columbus"): (32.4610, -84.9877),
    ("IL", "aurora"): (41.7606, -88.3201),
    ("IL", "peoria"): (40.6936, -89.5890),
    ("IL", "springfield"): (39.8017, -89.6437),
    ("IN", "columbus"): (39.2014, -85.9214),
    ("IN", "lafayette"): (40.4167, -86.8753),
    ("KS", "kansas city"): (39.1142, -94.6275),
    ("KS", "manhattan"): (39.1836, -96.5717),
    ("LA", "alexandria"): (31.3113, -92.4451),
    ("MA", "arlington"): (42.4154, -71.1564),
    ("MA", "everett"): (42.4084, -71.0537),
    ("MA", "salem"): (42.5198, -70.8955),
    ("MA", "springfield"): (42.1015, -72.5898),
    ("MD", "columbia"): (39.2404, -76.8394),
    ("ME", "augusta"): (44.3106, -69.7795),
    ("ME", "portland"): (43.6574, -70.2589),
    ("MI", "midland"): (43.6156, -84.2472),
    ("MI", "roseville"): (42.4973, -82.9371),
    ("MN", "rochester"): (44.0216, -92.4699),
    ("MO", "columbia"): (38.9517, -92.3341),
    ("NC", "burlington"): (36.0957, -79.4378),
    ("NC", "concord"): (35.4089, -80.5816),
    ("NC", "jacksonville"): (34.7540, -77.4302),
    ("NE", "bellevue"): (41.1367, -95.8908),
    ("NH", "concord"): (43.2081, -71.5376),
    ("NJ", "jackson"): (39.7765, -74.8624),
    ("NJ", "lakewood"): (40.0979, -74.2176),
    ("NY", "brownsville"): (40.6609, -73.9201),
    ("OH", "fairfield"): (39.3459, -84.5605),
    ("OH", "lakewood"): (41.4820, -81.7982),
    ("OH", "newark"): (40.0581, -82.4013),
    ("OH", "springfield"): (39.9242, -83.8088),
    ("OH", "warren"): (41.2376, -80.8184),
    ("OR", "albany"): (44.6365, -123.1059),
    ("OR", "springfield"): (44.0462, -123.0220),
    ("PA", "lancaster"): (40.0379, -76.3055),
    ("TN", "cleveland"): (35.1595, -84.8766),
    ("TN", "jackson"): (35.6145, -88.8140),
    ("TX", "huntsville"): (30.7235, -95.5508),
    ("VA", "arlington"): (38.8810, -77.1043),
    ("WA", "lakewood"): (47.1718, -122.5185),
    ("WV", "charleston"): (38.3498, -81.6326),
}

COUNTRIES: dict[str, tuple[float, float]] = {
    "AD": (42.5195, 1.5410),  # Andorra
    "AE": (24.9933, 55.2393),  # United Arab Emirates
    "AF": (34.6151, 67.9069),  # Afghanistan
    "AG": (17.1100, -61.8172),  # Antigua and Barbuda
    "AI": (18.2112, -63.0505),  # Anguilla
    "AL": (41.1113, 19.8525),  # Albania
    "AM": (40.2517, 44.5593),  # Armenia
    "AO": (-9.8654, 14.2734),  # Angola
    "AR": (-32.7935, -61.4323),  # Argentina
    "AS": (-14.3110, -170.6996),  # American Samoa
    "AT": (47.8060, 14.9517),  # Austria
    "AU": (-33.0754, 144.6763),  # Australia
    "AW": (12.5200, -69.9952),  # Aruba
    "AX": (60.1738, 20.0025),  # Aland Islands
    "AZ": (40.3611, 48.8295),  # Azerbaijan
    "BA": (44.2433, 17.8786),  # Bosnia and Herzegovina
    "BB": (13.1220, -59.6133),  # Barbados
    "BD": (23.6467, 90.4226),  # Bangladesh
    "BE": (50.8281, 4.4386),  # Belgium
    "BF": (12.1477, -2.0746),  # Burkina Faso
    "BG": (42.7313, 24.9869),  # Bulgaria
    "BH": (26.1793, 50.5661),  # Bahrain
    "BI": (-3.3544, 29.5293),  # Burundi
    "BJ": (7.6620, 2.3280),  # Benin
    "BL": (17.8962, -62.8498),  # Saint Barthelemy
    "BM": (32.3025, -64.7850),  # Bermuda
    "BN": (4.8360, 114.7789),  # Brunei
    "BO": (-17.3881, -65.7424),  # Bolivia
    "BQ": (13.2038, -67.3028),  # Bonaire, Saint Eustatius and Saba
    "BR": (-17.3664, -45.8222),  # Brazil
    "BS": (25.4287, -77.6103),  # Bahamas
    "BT": (27.2682, 89.9906),  # Bhutan
    "BW": (-23.2614, 25.9096),  # Botswana
    "BY": (53.5653, 27.8220),  # Belarus
    "BZ": (17.4371, -88.5403),  # Belize
    "CA": (46.8900, -88.7893),  # Canada
    "CC": (-12.1568, 96.8225),  # Cocos Islands
    "CD": (-4.7174, 20.2219),  # Democratic Republic of the Congo
    "CF": (4.9734, 18.4108),  # Central African Republic
    "CG": (-3.8998, 14.2163),  # Republic of the Congo
    "CH": (47.0786, 8.0630),  # Switzerland
    "CI": (6.5518, -5.2016),  # Ivory Coast
    "CK": (-21.2087, -159.7725),  # Cook Islands
    "CL": (-33.7960, -71.2249),  # Chile
    "CM": (5.4150, 11.1891),  # Cameroon
    "CN": (31.9855, 114.2572),  # China
    "CO": (5.8943, -74.8578),  # Colombia
    "CR": (9.9698, -84.1599),  # Costa Rica
    "CU": (22.2151, -80.2558),  # Cuba
    "CV": (15.6525, -23.8866),  # Cabo Verde
    "CW": (12.1383, -68.9088),  # Curacao
    "CX": (-10.4217, 105.6791),  # Christmas Island
    "CY": (34.9954, 33.3149),  # Cyprus
    "CZ": (49.8379, 15.5307),  # Czechia
    "DE": (51.0329, 9.7945),  # Germany
    "DJ": (11.5583, 43.0736),  # Djibouti
    "DK": (55.8250, 11.1859),  # Denmark
    "DM": (15.3833, -61.3714),  # Dominica
    "DO": (18.7691, -70.1232),  # Dominican Republic
    "DZ": (35.5695, 3.5123),  # Algeria
    "EC": (-1.4153, -79.3108),  # Ecuador
    "EE": (59.1889, 25.2541),  # Estonia
    "EG": (29.8185, 31.2225),  # Egypt
    "EH": (25.8212, -14.0667),  # Western Sahara
    "ER": (15.2204, 38.8672),  # Eritrea
    "ES": (39.7263, -3.1161),  # Spain
    "ET": (9.2510, 39.0244),  # Ethiopia
    "FI": (61.4065, 24.8147),  # Finland
    "FJ": (-17.8089, 178.2088),  # Fiji
    "FK": (-51.6938, -57.8570),  # Falkland Islands
    "FM": (7.0258, 154.2754),  # Micronesia
    "FO": (62.0340, -6.8057),  # Faroe Islands
    "FR": (47.1080, 2.7877),  # France
    "GA": (-0.1709, 10.3970),  # Gabon
    "GB": (52.5655, -1.4229),  # United Kingdom
    "GD": (12.1358, -61.6958),  # Grenada
    "GE": (41.9208, 43.7396),  # Georgia
    "GF": (4.9595, -52.8732),  # French Guiana
    "GG": (49.4718, -2.5335),  # Guernsey
    "GH": (6.4079, -0.9803),  # Ghana
    "GI": (36.1394, -5.3528),  # Gibraltar
    "GL": (65.7263, -50.6599),  # Greenland
    "GM": (13.4078, -16.3349),  # Gambia
    "GN": (9.7776, -12.7748),  # Guinea
    "GP": (16.2114, -61.5462),  # Guadeloupe
    "GQ": (2.4709, 9.5128),  # Equatorial Guinea
    "GR": (38.7113, 23.3342),  # Greece
    "GS": (-54.2811, -36.5092),  # South Georgia and the South Sandwich Islands
    "GT": (14.7650, -90.7278),  # Guatemala
    "GU": (13.4756, 144.7969),  # Guam
    "GW": (11.9182, -15.4518),  # Guinea-Bissau
    "GY": (6.6093, -58.1040),  # Guyana
    "HK": (22.3340, 114.1528),  # Hong Kong
    "HN": (14.8833, -87.4547),  # Honduras
    "HR": (45.2018, 16.3338),  # Croatia
    "HT": (18.7848, -72.5158),  # Haiti
    "HU": (47.3672, 19.3132),  # Hungary
    "ID": (-4.7577, 109.6064),  # Indonesia
    "IE": (53.1370, -7.0065),  # Ireland
    "IL": (32.1108, 34.9843),  # Israel
    "IM": (54.1797, -4.5184),  # Isle of Man
    "IN": (20.9353, 78.4151),  # India
    "IO": (-7.2686, 72.3778),  # British Indian Ocean Territory
    "IQ": (33.6564, 44.8012),  # Iraq
    "IR": (34.3098, 51.6330),  # Iran
    "IS": (64.2992, -21.4230),  # Iceland
    "IT": (42.9599, 12.0349),  # Italy
    "JE": (49.2020, -2.1061),  # Jersey
    "JM": (18.0530, -76.9688),  # Jamaica
    "JO": (32.0268, 35.9528),  # Jordan
    "JP": (35.5557, 137.2081),  # Japan
    "KE": (-0.9432, 36.8018),  # Kenya
    "KG": (41.8717, 73.9178),  # Kyrgyzstan
    "KH": (11.8047, 104.7249),  # Cambodia
    "KI": (1.2843, 174.9968),  # Kiribati
    "KM": (-11.9629, 43.8577),  # Comoros
    "KN": (17.2911, -62.7327),  # Saint Kitts and Nevis
    "KP": (39.5317, 126.5372),  # North Korea
    "KR": (36.5768, 127.5158),  # South Korea
    "KW": (29.2001, 48.0547),  # Kuwait
    "KY": (19.3232, -81.2439),  # Cayman Islands
    "KZ": (47.3331, 70.0813),  # Kazakhstan
    "LA": (18.0044, 103.2632),  # Laos
    "LB": (33.8646, 35.5380),  # Lebanon
    "LC": (13.9457, -60.9659),  # Saint Lucia
    "LI": (47.1594, 9.5222),  # Liechtenstein
    "LK": (7.2511, 80.2601),  # Sri Lanka
    "LR": (6.3639, -10.3516),  # Liberia
    "LS": (-29.4122, 27.7246),  # Lesotho
    "LT": (55.0697, 24.1501),  # Lithuania
    "LU": (49.6223, 6.1020),  # Luxembourg
    "LV": (56.8533, 24.2289),  # Latvia
    "LY": (31.8885, 15.5433),  # Libya
    "MA": (33.3925, -6.6516),  # Morocco
    "MC": (43.7378, 7.4231),  # Monaco
    "MD": (47.1019, 28.7665),  # Moldova
    "ME": (42.5323, 19.1918),  # Montenegro
    "MF": (18.0736, -63.0675),  # Saint Martin
    "MG": (-18.9137, 47.4695),  # Madagascar
    "MH": (7.4924, 170.3925),  # Marshall Islands
    "MK": (41.7646, 21.5032),  # North Macedonia
    "ML": (12.9831, -7.0932),  # Mali
    "MM": (18.6584, 96.1877),  # Myanmar
    "MN": (47.8864, 105.3485),  # Mongolia
    "MO": (22.1879, 113.5482),  # Macao
    "MP": (15.1514, 145.7176),  # Northern Mariana Islands
    "MQ": (14.6304, -61.0012),  # Martinique
    "MR": (17.8134, -14.2138),  # Mauritania
    "MS": (16.7925, -62.2005),  # Montserrat
    "MT": (35.9019, 14.4583),  # Malta
    "MU": (-20.2143, 57.6000),  # Mauritius
    "MV": (3.5737, 73.3922),  # Maldives
    "MW": (-14.2493, 34.3501),  # Malawi
    "MX": (21.2479, -100.1932),  # Mexico
    "MY": (3.4827, 103.3452),  # Malaysia
    "MZ": (-19.9441, 35.3536),  # Mozambique
    "NA": (-21.4808, 17.0785),  # Namibia
    "NC": (-21.9724, 166.3049),  # New Caledonia
    "NE": (14.0811, 5.1037),  # Niger
    "NF": (-29.0546, 167.9663),  # Norfolk Island
    "NG": (7.9156, 5.9580),  # Nigeria
    "NI": (12.3584, -86.1162),  # Nicaragua
    "NL": (52.0834, 5.2908),  # The Netherlands
    "NO": (60.7626, 9.5582),  # Norway
    "NP": (27.6478, 84.7100),  # Nepal
    "NR": (-0.5282, 166.9249),  # Nauru
    "NU": (-19.0529, -169.9196),  # Niue
    "NZ": (-39.3424, 174.4080),  # New Zealand
    "OM": (23.2597, 57.6688),  # Oman
    "PA": (8.8471, -80.1071),  # Panama
    "PE": (-11.0936, -76.3533),  # Peru
    "PF": (-17.4724, -149.5079),  # French Polynesia
    "PG": (-7.3072, 147.1736),  # Papua New Guinea
    "PH": (12.2446, 122.3758),  # Philippines
    "PK": (30.2390, 71.3959),  # Pakistan
    "PL": (51.7170, 19.2204),  # Poland
    "PM": (46.8286, -56.2089),  # Saint Pierre and Miquelon
    "PN": (-25.0660, -130.1015),  # Pitcairn
    "PR": (18.3137, -66.2879),  # Puerto Rico
    "PS": (31.7653, 34.9369),  # Palestinian Territory
    "PT": (39.5095, -9.3304),  # Portugal
    "PW": (7.3463, 134.4746),  # Palau
    "PY": (-25.2666, -57.0841),  # Paraguay
    "QA": (25.3266, 51.4845),  # Qatar
    "RE": (-21.0905, 55.4627),  # Reunion
    "RO": (45.6293, 25.3332),  # Romania
    "RS": (44.6078, 20.5491),  # Serbia
    "RU": (54.2992, 53.1656),  # Russia
    "RW": (-1.9784, 29.7829),  # Rwanda
    "SA": (23.7553, 43.0184),  # Saudi Arabia
    "SB": (-9.3318, 159.7969),  # Solomon Islands
    "SC": (-4.6135, 55.4976),  # Seychelles
    "SD": (14.6795, 31.6602),  # Sudan
    "SE": (58.8552, 15.6885),  # Sweden
    "SG": (1.3259, 103.8479),  # Singapore
    "SH": (-17.7441, -11.2699),  # Saint Helena
    "SI": (46.1684, 14.8168),  # Slovenia
    "SJ": (78.1804, 15.4184),  # Svalbard and Jan Mayen
    "SK": (48.5916, 18.7717),  # Slovakia
    "SL": (8.3482, -12.2760),  # Sierra Leone
    "SM": (43.9498, 12.4652),  # San Marino
    "SN": (14.6539, -16.6429),  # Senegal
    "SO": (4.9674, 45.0064),  # Somalia
    "SR": (5.8009, -55.2082),  # Suriname
    "SS": (6.6145, 29.9217),  # South Sudan
    "ST": (0.3233, 6.7033),  # Sao Tome and Principe
    "SV": (13.6992, -89.0627),  # El Salvador
    "SX": (18.0408, -63.0582),  # Sint Maarten
    "SY": (35.0978, 37.1546),  # Syria
    "SZ": (-26.4652, 31.3394),  # Eswatini
    "TC": (21.7524, -72.1054),  # Turks and Caicos Islands
    "TD": (11.5646, 16.6253),  # Chad
    "TF": (-49.3492, 70.2194),  # French Southern Territories
    "TG": (6.8483, 1.1503),  # Togo
    "TH": (13.7330, 100.7152),  # Thailand
    "TJ": (39.0537, 69.3945),  # Tajikistan
    "TK": (-8.9257, -172.0849),  # Tokelau
    "TL": (-8.7217, 125.6491),  # Timor Leste
    "TM": (38.7150, 59.4468),  # Turkmenistan
    "TN": (35.8303, 10.1971),  # Tunisia
    "TO": (-20.8422, -175.0324),  # Tonga
    "TR": (39.4355, 32.3079),  # Turkey
    "TT": (10.4777, -61.4019),  # Trinidad and Tobago
    "TV": (-8.3092, 178.9678),  # Tuvalu
    "TW": (24.3674, 121.0522),  # Taiwan
    "TZ": (-5.8930, 36.0974),  # Tanzania
    "UA": (48.8590, 32.4146),  # Ukraine
    "UG": (0.5915, 32.2188),  # Uganda
    "US": (37.6005, -92.9208),  # United States
    "UY": (-34.0362, -56.2531),  # Uruguay
    "UZ": (40.6905, 68.4293),  # Uzbekistan
    "VA": (41.9027, 12.4541),  # Vatican
    "VC": (13.1597, -61.2069),  # Saint Vincent and the Grenadines
    "VE": (9.8321, -67.8144),  # Venezuela
    "VG": (18.4335, -64.5631),  # British Virgin Islands
    "VI": (17.9503, -64.8047),  # U.S. Virgin Islands
    "VN": (15.2100, 106.4872),  # Vietnam
    "VU": (-17.0116, 167.9592),  # Vanuatu
    "WF": (-13.4390, -176.4663),  # Wallis and Futuna
    "WS": (-13.8046, -171.9284),  # Samoa
    "XK": (42.5637, 20.9305),  # Kosovo
    "YE": (14.3658, 44.6657),  # Yemen
    "YT": (-12.7964, 45.1843),  # Mayotte
    "ZA": (-28.3706, 27.0433),  # South Africa
    "ZM": (-13.8575, 28.4190),  # Zambia
    "ZW": (-18.5489, 30.4961),  # Zimbabwe
}

COUNTRY_ALIASES: dict[str, str] = {
    # normalised country name or ISO alpha-3 code -> ISO alpha-2 code
    "abw": "AW",
    "afg": "AF",
    "afghanistan": "AF",
    "ago": "AO",
    "aia": "AI",
    "ala": "AX",
    "aland islands": "AX",
    "alb": "AL",
    "albania": "AL",
    "algeria": "DZ",
    "america": "US",
    "american samoa": "AS",
    "and": "AD",
    "andorra": "AD",
    "angola": "AO",
    "anguilla": "AI",
    "antigua and barbuda": "AG",
    "are": "AE",
    "arg": "AR",
    "argentina": "AR",
    "arm": "AM",
    "armenia": "AM",
    "aruba": "AW",
    "asm": "AS",
    "atf": "TF",
    "atg": "AG",
    "aus": "AU",
    "australia": "AU",
    "austria": "AT",
    "aut": "AT",
    "aze": "AZ",
    "azerbaijan": "AZ",
    "bahamas": "BS",
    "bahrain": "BH",
    "bangladesh": "BD",
    "barbados": "BB",
    "bdi": "BI",
    "bel": "BE",
    "belarus": "BY",
    "belgie": "BE",
    "belgique": "BE",
    "belgium": "BE",
    "belize": "BZ",
    "ben": "BJ",
    "benin": "BJ",
    "bermuda": "BM",
    "bes": "BQ",
    "bfa": "BF",
    "bgd": "BD",
    "bgr": "BG",
    "bhr": "BH",
    "bhs": "BS",
    "bhutan": "BT",
    "bih": "BA",
    "blm": "BL",
    "blr": "BY",
    "blz": "BZ",
    "bmu": "BM",
    "bol": "BO",
    "bolivia": "BO",
    "bonaire saint eustatius and saba": "BQ",
    "bosnia and herzegovina": "BA",
    "botswana": "BW",
    "bra": "BR",
    "brasil": "BR",
    "brazil": "BR",
    "brb": "BB",
    "britain": "GB",
    "british indian ocean territory": "IO",
    "british virgin islands": "VG",
    "brn": "BN",
    "brunei": "BN",
    "btn": "BT",
    "bulgaria": "BG",
    "burkina faso": "BF",
    "burundi": "BI",
    "bwa": "BW",
    "cabo verde": "CV",
    "caf": "CF",
    "cambodia": "KH",
    "cameroon": "CM",
    "can": "CA",
    "canada": "CA",
    "cayman islands": "KY",
    "cck": "CC",
    "central african republic": "CF",
    "chad": "TD",
    "che": "CH",
    "chile": "CL",
    "china": "CN",
    "chl": "CL",
    "chn": "CN",
    "christmas island": "CX",
    "civ": "CI",
    "cmr": "CM",
    "cocos islands": "CC",
    "cod": "CD",
    "cog": "CG",
    "cok": "CK",
    "col": "CO",
    "colombia": "CO",
    "com": "KM",
    "comoros": "KM",
    "cook islands": "CK",
    "costa rica": "CR",
    "cpv": "CV",
    "cri": "CR",
    "croatia": "HR",
    "cub": "CU",
    "cuba": "CU",
    "curacao": "CW",
    "cuw": "CW",
    "cxr": "CX",
    "cym": "KY",
    "cyp": "CY",
    "cyprus": "CY",
    "cze": "CZ",
    "czech republic": "CZ",
    "czechia": "CZ",
    "danmark": "DK",
    "democratic republic of the congo": "CD",
    "denmark": "DK",
    "deu": "DE",
    "deutschland": "DE",
    "dji": "DJ",
    "djibouti": "DJ",
    "dma": "DM",
    "dnk": "DK",
    "dom": "DO",
    "dominica": "DM",
    "dominican republic": "DO",
    "dza": "DZ",
    "ecu": "EC",
    "ecuador": "EC",
    "egy": "EG",
    "egypt": "EG",
    "eire": "IE",
    "el salvador": "SV",
    "england": "GB",
    "equatorial guinea": "GQ",
    "eri": "ER",
    "eritrea": "ER",
    "esh": "EH",
    "esp": "ES",
    "espana": "ES",
    "est": "EE",
    "estonia": "EE",
    "eswatini": "SZ",
    "eth": "ET",
    "ethiopia": "ET",
    "falkland islands": "FK",
    "faroe islands": "FO",
    "fiji": "FJ",
    "fin": "FI",
    "finland": "FI",
    "fji": "FJ",
    "flk": "FK",
    "fra": "FR",
    "france": "FR",
    "french guiana": "GF",
    "french polynesia": "PF",
    "french southern territories": "TF",
    "fro": "FO",
    "fsm": "FM",
    "gab": "GA",
    "gabon": "GA",
    "gambia": "GM",
    "gbr": "GB",
    "geo": "GE",
    "georgia": "GE",
    "germany": "DE",
    "ggy": "GG",
    "gha": "GH",
    "ghana": "GH",
    "gib": "GI",
    "gibraltar": "GI",
    "gin": "GN",
    "glp": "GP",
    "gmb": "GM",
    "gnb": "GW",
    "gnq": "GQ",
    "grc": "GR",
    "grd": "GD",
    "great britain": "GB",
    "greece": "GR",
    "greenland": "GL",
    "grenada": "GD",
    "grl": "GL",
    "gtm": "GT",
    "guadeloupe": "GP",
    "guam": "GU",
    "guatemala": "GT",
    "guernsey": "GG",
    "guf": "GF",
    "guinea": "GN",
    "guinea bissau": "GW",
    "gum": "GU",
    "guy": "GY",
    "guyana": "GY",
    "haiti": "HT",
    "hkg": "HK",
    "hnd": "HN",
    "holland": "NL",
    "honduras": "HN",
    "hong kong": "HK",
    "hrv": "HR",
    "hti": "HT",
    "hun": "HU",
    "hungary": "HU",
    "iceland": "IS",
    "idn": "ID",
    "imn": "IM",
    "ind": "IN",
    "india": "IN",
    "indonesia": "ID",
    "iot": "IO",
    "iran": "IR",
    "iraq": "IQ",
    "ireland": "IE",
    "irl": "IE",
    "irn": "IR",
    "irq": "IQ",
    "isl": "IS",
    "isle of man": "IM",
    "isr": "IL",
    "israel": "IL",
    "ita": "IT",
    "italia": "IT",
    "italy": "IT",
    "ivory coast": "CI",
    "jam": "JM",
    "jamaica": "JM",
    "japan": "JP",
    "jersey": "JE",
    "jey": "JE",
    "jor": "JO",
    "jordan": "JO",
    "jpn": "JP",
    "kaz": "KZ",
    "kazakhstan": "KZ",
    "ken": "KE",
    "kenya": "KE",
    "kgz": "KG",
    "khm": "KH",
    "kir": "KI",
    "kiribati": "KI",
    "kna": "KN",
    "kor": "KR",
    "korea": "KR",
    "kosovo": "XK",
    "kuwait": "KW",
    "kwt": "KW",
    "kyrgyzstan": "KG",
    "lao": "LA",
    "laos": "LA",
    "latvia": "LV",
    "lbn": "LB",
    "lbr": "LR",
    "lby": "LY",
    "lca": "LC",
    "lebanon": "LB",
    "lesotho": "LS",
    "liberia": "LR",
    "libya": "LY",
    "lie": "LI",
    "liechtenstein": "LI",
    "lithuania": "LT",
    "lka": "LK",
    "lso": "LS",
    "ltu": "LT",
    "lux": "LU",
    "luxembourg": "LU",
    "lva": "LV",
    "mac": "MO",
    "macao": "MO",
    "madagascar": "MG",
    "maf": "MF",
    "malawi": "MW",
    "malaysia": "MY",
    "maldives": "MV",
    "mali": "ML",
    "malta": "MT",
    "mar": "MA",
    "marshall islands": "MH",
    "martinique": "MQ",
    "mauritania": "MR",
    "mauritius": "MU",
    "mayotte": "YT",
    "mco": "MC",
    "mda": "MD",
    "mdg": "MG",
    "mdv": "MV",
    "mex": "MX",
    "mexico": "MX",
    "mhl": "MH",
    "micronesia": "FM",
    "mkd": "MK",
    "mli": "ML",
    "mlt": "MT",
    "mmr": "MM",
    "mne": "ME",
    "mng": "MN",
    "mnp": "MP",
    "moldova": "MD",
    "monaco": "MC",
    "mongolia": "MN",
    "montenegro": "ME",
    "montserrat": "MS",
    "morocco": "MA",
    "moz": "MZ",
    "mozambique": "MZ",
    "mrt": "MR",
    "msr": "MS",
    "mtq": "MQ",
    "mus": "MU",
    "mwi": "MW",
    "myanmar": "MM",
    "mys": "MY",
    "myt": "YT",
    "nam": "NA",
    "namibia": "NA",
    "nauru": "NR",
    "ncl": "NC",
    "nederland": "NL",
    "nepal": "NP",
    "ner": "NE",
    "new caledonia": "NC",
    "new zealand": "NZ",
    "nfk": "NF",
    "nga": "NG",
    "nic": "NI",
    "nicaragua": "NI",
    "niger": "NE",
    "nigeria": "NG",
    "nippon": "JP",
    "niu": "NU",
    "niue": "NU",
    "nld": "NL",
    "nor": "NO",
    "norfolk island": "NF",
    "norge": "NO",
    "north korea": "KP",
    "north macedonia": "MK",
    "northern ireland": "GB",
    "northern mariana islands": "MP",
    "norway": "NO",
    "npl": "NP",
    "nru": "NR",
    "nzl": "NZ",
    "oesterreich": "AT",
    "oman": "OM",
    "omn": "OM",
    "osterreich": "AT",
    "pak": "PK",
    "pakistan": "PK",
    "palau": "PW",
    "palestinian territory": "PS",
    "pan": "PA",
    "panama": "PA",
    "papua new guinea": "PG",
    "paraguay": "PY",
    "pcn": "PN",
    "per": "PE",
    "peru": "PE",
    "philippines": "PH",
    "phl": "PH",
    "pitcairn": "PN",
    "plw": "PW",
    "png": "PG",
    "pol": "PL",
    "poland": "PL",
    "polska": "PL",
    "portugal": "PT",
    "pri": "PR",
    "prk": "KP",
    "prt": "PT",
    "pry": "PY",
    "pse": "PS",
    "puerto rico": "PR",
    "pyf": "PF",
    "qat": "QA",
    "qatar": "QA",
    "republic of ireland": "IE",
    "republic of korea": "KR",
    "republic of the congo": "CG",
    "reu": "RE",
    "reunion": "RE",
    "romania": "RO",
    "rou": "RO",
    "rus": "RU",
    "russia": "RU",
    "russian federation": "RU",
    "rwa": "RW",
    "rwanda": "RW",
    "saint barthelemy": "BL",
    "saint helena": "SH",
    "saint kitts and nevis": "KN",
    "saint lucia": "LC",
    "saint martin": "MF",
    "saint pierre and miquelon": "PM",
    "saint vincent and the grenadines": "VC",
    "samoa": "WS",
    "san marino": "SM",
    "sao tome and principe": "ST",
    "sau": "SA",
    "saudi arabia": "SA",
    "schweiz": "CH",
    "scotland": "GB",
    "sdn": "SD",
    "sen": "SN",
    "senegal": "SN",
    "serbia": "RS",
    "seychelles": "SC",
    "sgp": "SG",
    "sgs": "GS",
    "shn": "SH",
    "sierra leone": "SL",
    "singapore": "SG",
    "sint maarten": "SX",
    "sjm": "SJ",
    "slb": "SB",
    "sle": "SL",
    "slovakia": "SK",
    "slovenia": "SI",
    "slv": "SV",
    "smr": "SM",
    "solomon islands": "SB",
    "som": "SO",
    "somalia": "SO",
    "south africa": "ZA",
    "south georgia and the south sandwich islands": "GS",
    "south korea": "KR",
    "south sudan": "SS",
    "spain": "ES",
    "spm": "PM",
    "srb": "RS",
    "sri lanka": "LK",
    "ssd": "SS",
    "stp": "ST",
    "sudan": "SD",
    "suisse": "CH",
    "suomi": "FI",
    "sur": "SR",
    "suriname": "SR",
    "svalbard and jan mayen": "SJ",
    "sverige": "SE",
    "svizzera": "CH",
    "svk": "SK",
    "svn": "SI",
    "swe": "SE",
    "sweden": "SE",
    "switzerland": "CH",
    "swz": "SZ",
    "sxm": "SX",
    "syc": "SC",
    "syr": "SY",
    "syria": "SY",
    "taiwan": "TW",
    "tajikistan": "TJ",
    "tanzania": "TZ",
    "tca": "TC",
    "tcd": "TD",
    "tgo": "TG",
    "tha": "TH",
    "thailand": "TH",
    "the netherlands": "NL",
    "timor leste": "TL",
    "tjk": "TJ",
    "tkl": "TK",
    "tkm": "TM",
    "tls": "TL",
    "togo": "TG",
    "tokelau": "TK",
    "ton": "TO",
    "tonga": "TO",
    "trinidad and tobago": "TT",
    "tto": "TT",
    "tun": "TN",
    "tunisia": "TN",
    "tur": "TR",
    "turkey": "TR",
    "turkiye": "TR",
    "turkmenistan": "TM",
    "turks and caicos islands": "TC",
    "tuv": "TV",
    "tuvalu": "TV",
    "twn": "TW",
    "tza": "TZ",
    "u k": "GB",
    "u s": "US",
    "u s a": "US",
    "u s virgin islands": "VI",
    "uae": "AE",
    "uga": "UG",
    "uganda": "UG",
    "uk": "GB",
    "ukr": "UA",
    "ukraine": "UA",
    "united arab emirates": "AE",
    "united kingdom": "GB",
    "united states": "US",
    "united states of america": "US",
    "uruguay": "UY",
    "ury": "UY",
    "usa": "US",
    "uzb": "UZ",
    "uzbekistan": "UZ",
    "vanuatu": "VU",
    "vat": "VA",
    "vatican": "VA",
    "vct": "VC",
    "ven": "VE",
    "venezuela": "VE",
    "vgb": "VG",
    "viet nam": "VN",
    "vietnam": "VN",
    "vir": "VI",
    "vnm": "VN",
    "vut": "VU",
    "wales": "GB",
    "wallis and futuna": "WF",
    "western sahara": "EH",
    "wlf": "WF",
    "wsm": "WS",
    "xkx": "XK",
    "yem": "YE",
    "yemen": "YE",
    "zaf": "ZA",
    "zambia": "ZM",
    "zimbabwe": "ZW",
    "zmb": "ZM",
    "zwe": "ZW",
}
