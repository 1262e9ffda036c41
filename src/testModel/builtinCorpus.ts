// What a random model's tokenizer learns from when no corpus is given: a few chain-of-thought samples in
// the stage formats the product edits, so common words and markup become tokens. The rest of the
// vocabulary is reserved filler.
export const BUILTIN_CORPUS: readonly string[] = [
  '<SUMMARY>I will count the apples in the image and compare them with the oranges.</SUMMARY><CAPTION>The image shows a table with three red apples and two oranges on a white plate.</CAPTION><REASONING>Step 1: There are 3 apples.\nStep 2: There are 2 oranges.\nStep 3: 3 - 2 = 1, so there is one more apple than there are oranges.</REASONING><CONCLUSION>There is 1 more apple.</CONCLUSION>',
  '<think>The question asks for the area of a rectangle with sides 4 and 6. The area of a rectangle is the product of its sides: $4 \\times 6 = 24$. Let me check the units: both sides are in centimetres, so the area is in square centimetres.</think><answer>24</answer>',
  '### Step 1: Read the chart\nThe chart shows the number of visitors for each month of the year. The highest bar is in July.\n### Step 2: Compare\nJuly has 120 visitors and June has 95 visitors, so the difference is $120 - 95 = 25$.\n### Answer\nThe answer is 25.',
  '<SUMMARY>To solve the problem, I will find the angle of the triangle using the sum of the angles.</SUMMARY><CAPTION>The figure shows a triangle ABC with angle A = 50 degrees and angle B = 60 degrees.</CAPTION><REASONING>The angles of a triangle add up to 180 degrees. So angle C = 180 - 50 - 60 = 70 degrees.</REASONING><CONCLUSION>70 degrees</CONCLUSION>',
  '<think>First, I need to understand what the question is asking. The image shows a bar chart of the sales of the company in each year. The question asks in which year the sales were the highest. Looking at the bars, the highest one is for 2021. I think I have made a mistake. Let me rethink it. The bar for 2022 is slightly higher than the bar for 2021.</think><answer>2022</answer>',
];
