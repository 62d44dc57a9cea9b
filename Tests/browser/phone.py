"""Headless Chromium (Debian's) as a phone: a 390 px wide viewport, an iPhone's user agent, a language."""
from selenium import webdriver
from selenium.webdriver.chrome.service import Service


def phone_browser(language):
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", f"--lang={language}"):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"intl.accept_languages": language})
    options.add_experimental_option("mobileEmulation", {
        "deviceMetrics": {"width": 390, "height": 844, "pixelRatio": 2},
        "userAgent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    })
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


# Shanghai (CN-31), where the browser tests' phones stand.
SHANGHAI = (31.2304, 121.4737)


def grant_location(driver, url, position=SHANGHAI):
    """Lets the page at `url` read the phone's position (granted, emulated at `position`)."""
    from urllib.parse import urlparse
    origin = "{0.scheme}://{0.netloc}".format(urlparse(url))
    driver.execute_cdp_cmd("Browser.grantPermissions", {"origin": origin, "permissions": ["geolocation"]})
    driver.execute_cdp_cmd("Emulation.setGeolocationOverride", {"latitude": position[0], "longitude": position[1], "accuracy": 10})
