import { expect, test } from '@playwright/test';

test('demo page loads', async ({ page }) => {
  await page.goto('/');
  await expect(page).toHaveTitle(/sessionlog/);
  await expect(page.locator('h1')).toContainText('sessionlog');
});
