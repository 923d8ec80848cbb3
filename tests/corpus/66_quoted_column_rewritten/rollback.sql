UPDATE public."Settings" SET "Value" = lower("Value");
